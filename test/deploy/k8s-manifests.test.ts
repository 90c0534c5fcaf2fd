/**
 * deploy/k8s: every file parses; both overlays and the data Jobs render with kubectl's kustomize
 * and validate against the Kubernetes schemas (kubernetes-models); then the policy that schema
 * validators miss (test/deploy/helpers/k8s-*.ts). The fixtures at the end prove each check fails.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import { parseApiKeys } from '../../src/config/api-keys.js'
import { CONFIG_KEYS } from '../../src/config/config.schema.js'
import { TRAFFIC_FILE_KEYS } from '../../src/traffic/traffic-config.js'
import { envReadsIn, ROOT, tsFilesUnder, unknownEnvReads, unusedConfigKeys } from './helpers/app-env.js'
import { imageName, readDockerfile, runtimeFacts } from './helpers/dockerfile.js'
import { containerProblems, graceProblems, podTemplates, preStopSeconds, type ImageFacts } from './helpers/k8s-policy.js'
import {
  connectionProblems, envNameProblems, envValueProblems, hpaProblems, pdbProblems, selects, serviceProblems,
  sharedObjectProblems, shutdownMsOf, trafficFileProblems,
} from './helpers/k8s-relations.js'
import { kindName, kustomize, schemaProblems } from './helpers/k8s-render.js'
import { at, isObj, objs, readYamlFile, strMap, yamlFilesUnder, type Obj } from './helpers/yaml-docs.js'

const K8S = join(ROOT, 'deploy/k8s')
const COLORS = ['blue', 'green'] as const
const docker = runtimeFacts(readDockerfile())
const IMAGE: ImageFacts = { name: imageName(docker), port: Number(docker.env.PORT), uid: Number(docker.user?.split(':')[0]) }
const SECRETS = readYamlFile(join(K8S, 'base/secret.example.yaml')).filter(isObj)
const fixture = (name: string) => readYamlFile(join(ROOT, 'test/fixtures/deploy', name)).filter(isObj)

const rendered = new Map<string, Obj[]>()
/** Rendered once per kustomization; a missing kubectl throws, which fails the calling test. */
const render = (dir: string): Obj[] => {
  if (!rendered.has(dir)) rendered.set(dir, kustomize(join(K8S, dir)))
  return rendered.get(dir)!
}
const overlay = (color: string) => render(`overlays/${color}`)
const everything = () => [...overlay('blue'), ...overlay('green'), ...render('jobs')]
const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && at(o, 'metadata', 'name') === name)

t.test('every YAML file under deploy/k8s parses, and every object in it validates', async (t) => {
  const files = yamlFilesUnder(K8S)
  t.ok(files.length >= 15, `found ${files.length} YAML files`)
  for (const file of files) {
    const docs = readYamlFile(file)
    t.ok(docs.length > 0 && docs.every(isObj), `${relative(ROOT, file)}: one or more mappings`)
    for (const doc of docs.filter(isObj).filter((d) => d.kind !== undefined && d.kind !== 'Kustomization')) {
      t.same(await schemaProblems(doc, relative(ROOT, file)), [], `${relative(ROOT, file)} ${kindName(doc)} validates`)
    }
  }
})

t.test('kustomize renders both overlays and the Jobs; every object validates against the schemas', async (t) => {
  for (const dir of ['overlays/blue', 'overlays/green', 'jobs']) {
    const objects = render(dir)
    t.ok(objects.length > 0, `${dir} renders`)
    const problems = (await Promise.all(objects.map((o) => schemaProblems(o, dir)))).flat()
    t.same(problems, [], `${dir}: ${objects.length} objects validate`)
  }
})

t.test('each overlay: the shared objects, its color workload, Services switched to it', async (t) => {
  for (const color of COLORS) {
    const objects = overlay(color)
    const other = color === 'blue' ? 'green' : 'blue'
    const kinds = objects.map(kindName).sort()
    for (const want of ['Namespace/mcp-memory', 'ServiceAccount/mcp-memory', 'ConfigMap/mcp-memory-env', 'ConfigMap/mcp-memory-traffic',
      'Service/mcp-memory', 'Service/mcp-memory-preview', 'Service/mcp-memory-metrics', 'ServiceMonitor/mcp-memory',
      `Deployment/mcp-memory-${color}`, `PodDisruptionBudget/mcp-memory-${color}`, `HorizontalPodAutoscaler/mcp-memory-${color}`,
      `Job/mcp-memory-migrate-${color}`]) t.ok(kinds.includes(want), `${color}: ${want}`)
    t.notOk(objects.some((o) => o.kind === 'Secret'), `${color}: no Secret is applied (the template stays a template)`)
    t.ok(objects.filter((o) => o.kind !== 'Namespace').every((o) => at(o, 'metadata', 'namespace') === 'mcp-memory'), `${color}: all in namespace mcp-memory`)
    const deployment = find(objects, 'Deployment', `mcp-memory-${color}`)
    t.equal(at(deployment, 'spec', 'selector', 'matchLabels', 'color'), color, `${color}: Deployment selects color ${color}`)
    t.equal(strMap(at(find(objects, 'Service', 'mcp-memory'), 'spec', 'selector')).color, color, `${color}: mcp-memory selects ${color}`)
    t.equal(strMap(at(find(objects, 'Service', 'mcp-memory-preview'), 'spec', 'selector')).color, other, `${color}: preview selects ${other}`)
    for (const tpl of podTemplates(objects)) t.match(String(objs(tpl.spec.containers)[0]?.image), /^[^:]+:[\w.-]+$/, `${tpl.where}: image has a tag`)
  }
})

t.test('containers: three probes (known fields only), resources, restricted security context, image and port of the Dockerfile', async (t) => {
  for (const dir of ['overlays/blue', 'overlays/green', 'jobs']) t.same(containerProblems(render(dir), IMAGE), [], dir)
})

t.test('env: every name is in CONFIG_KEYS, and each container environment passes the app config schema', async (t) => {
  for (const dir of ['overlays/blue', 'overlays/green', 'jobs']) {
    t.same(envNameProblems(render(dir)), [], `${dir}: names`)
    t.same(envValueProblems(render(dir), SECRETS, docker.env), [], `${dir}: values (Dockerfile ENV + ConfigMap + Secret template)`)
  }
})

t.test('the source reads only variables in the config schema, and reads every one of them', async (t) => {
  const files = tsFilesUnder(join(ROOT, 'src'))
  t.same(unknownEnvReads(files), [], 'process.env.X / env.X reads are all in CONFIG_KEYS or STDIO_VARIABLES')
  t.same(unusedConfigKeys(files, join(ROOT, 'src/config/config.schema.ts')), [], 'every CONFIG_KEYS entry is used')
  t.same(envReadsIn(`process.env.MEMORY_TOOL; env['STORE_URL']; x.env.SECRET_FLAG; process.env.npm_config_x`).sort(), ['MEMORY_TOOL', 'SECRET_FLAG', 'STORE_URL'])
  t.same(unknownEnvReads([join(ROOT, 'test/fixtures/deploy/reads-unknown-env.ts')]), [
    'test/fixtures/deploy/reads-unknown-env.ts: env var SECRET_FLAG is not in CONFIG_KEYS or STDIO_VARIABLES',
  ], 'an unknown read is reported, a known one is not')
})

t.test('terminationGracePeriodSeconds >= preStop + SHUTDOWN_TIMEOUT_MS + margin', async (t) => {
  for (const color of COLORS) {
    const objects = overlay(color)
    t.same(graceProblems(objects, shutdownMsOf(objects, SECRETS, docker.env)), [], color)
    const tpl = podTemplates(objects).find((p) => p.serving)!
    const c = objs(tpl.spec.containers)[0]!
    const ms = shutdownMsOf(objects, SECRETS, docker.env)(tpl, c)
    const grace = tpl.spec.terminationGracePeriodSeconds as number
    t.ok(grace >= preStopSeconds(c) + ms / 1000 + 5, `${color}: ${grace} s >= ${preStopSeconds(c)} + ${ms / 1000} + 5`)
    t.same(at(c, 'lifecycle', 'preStop', 'exec', 'command', 0), '/bin/sh', `${color}: preStop runs sleep in the image's shell`)
  }
  // /bin/sh and sleep exist in the Debian-based runtime image (a distroless one has neither).
  t.equal(docker.runtime.from, '${NODE_IMAGE}')
  t.match(readDockerfile(), /^ARG NODE_IMAGE=node:\d+-bookworm-slim$/m, 'runtime base is node on Debian bookworm')
})

t.test('Services select Deployment pods only; the HPA targets the Deployment; the PDB matches its pods', async (t) => {
  const pool = [...overlay('blue'), ...overlay('green')]
  for (const color of COLORS) {
    const objects = overlay(color)
    t.same(serviceProblems(objects, pool), [], `${color}: Services`)
    t.same(serviceProblems(objects, objects).filter((p) => p.includes('Service/mcp-memory:')), [], `${color}: the live Service selects pods of this overlay`)
    t.same(hpaProblems(objects), [], `${color}: HPA and Deployment selector`)
    t.same(pdbProblems(objects), [], `${color}: PDB`)
    t.same(connectionProblems(objects, COLORS.length, 100), [], `${color}: Postgres connections`)
  }
  const jobPods = podTemplates(render('jobs'))
  const services = pool.filter((o) => o.kind === 'Service')
  t.ok(jobPods.every((p) => services.every((s) => !selects(strMap(at(s, 'spec', 'selector')), p.labels))), 'no Service selects a data Job pod')
})

t.test('the TRAFFIC_* flags: in the env ConfigMap and in a live-reloaded, valid file', async (t) => {
  for (const color of COLORS) {
    const objects = overlay(color)
    t.same(trafficFileProblems(objects, SECRETS, docker.env), [], `${color}: file mount and content`)
    const env = strMap(find(objects, 'ConfigMap', 'mcp-memory-env')?.data)
    const file = strMap(find(objects, 'ConfigMap', 'mcp-memory-traffic')?.data)['traffic.yaml'] ?? ''
    t.ok(Object.keys(env).filter((k) => k.startsWith('TRAFFIC_')).length >= 3, 'TRAFFIC_* flags in the environment')
    const fileKeys = Object.keys(strMap(readYamlFile(join(K8S, 'base/traffic.yaml'))[0]))
    t.ok(fileKeys.includes('TRAFFIC_STAGE') && file.includes('TRAFFIC_STAGE'), 'TRAFFIC_STAGE in the file')
    t.same(fileKeys.filter((k) => !(TRAFFIC_FILE_KEYS as string[]).includes(k) || !(CONFIG_KEYS as string[]).includes(k)), [], 'file keys are TRAFFIC_* config names')
  }
  t.same(sharedObjectProblems(overlay('blue'), overlay('green')), [], 'the overlays differ only in color objects and Service selectors')
})

t.test('the Secret template: placeholders only, in no kustomization, holding every key referenced', async (t) => {
  const secret = SECRETS[0]!
  const data = strMap(secret.stringData)
  t.ok(Object.values(data).every((v) => v.includes('REPLACE_ME')), 'every value is a REPLACE_ME placeholder')
  for (const file of yamlFilesUnder(K8S).filter((f) => f.endsWith('kustomization.yaml'))) {
    t.notMatch(readFileSync(file, 'utf8').replace(/#.*$/gm, ''), /secret\.example/, `${relative(ROOT, file)} does not apply the template`)
  }
  const refs = JSON.stringify(everything()).matchAll(/"name":"mcp-memory-secrets","key":"([^"]+)"|"key":"([^"]+)","name":"mcp-memory-secrets"/g)
  for (const m of refs) t.ok((m[1] ?? m[2]!) in data, `key ${m[1] ?? m[2]} is in the template`)
  const metricsKey = data['metrics-key']
  const keys = parseApiKeys(data['api-keys'] ?? '')
  t.ok(keys.some((k) => k.key === metricsKey && k.scopes.includes('metrics')), 'the scrape key is an API key with the metrics scope')
})

t.test('the ServiceMonitor scrapes /metrics of every pod through the metrics Service', async (t) => {
  const objects = overlay('blue')
  const monitor = find(objects, 'ServiceMonitor', 'mcp-memory')
  const metrics = objects.filter((o) => o.kind === 'Service' && selects(strMap(at(monitor, 'spec', 'selector', 'matchLabels')), strMap(at(o, 'metadata', 'labels'))))
  t.same(metrics.map(kindName), ['Service/mcp-memory-metrics'], 'selects the metrics Service only')
  const endpoint = objs(at(monitor, 'spec', 'endpoints'))[0]
  t.equal(endpoint?.path, '/metrics')
  t.ok(objs(at(metrics[0], 'spec', 'ports')).some((p) => p.name === endpoint?.port), 'endpoint port is a port of the Service')
  t.notOk(at(metrics[0], 'spec', 'selector', 'color'), 'both colors are scraped')
  t.same(at(monitor, 'spec', 'podTargetLabels'), ['color'])
})

t.test('the Jobs run migrate, backfill and verify with both stores from the Secret', async (t) => {
  const args = (objects: Obj[], name: string) => objs(at(find(objects, 'Job', name), 'spec', 'template', 'spec', 'containers'))[0]
  for (const color of COLORS) t.same(args(overlay(color), `mcp-memory-migrate-${color}`)?.args, ['migrate'])
  for (const [name, command] of [['mcp-memory-backfill', 'backfill'], ['mcp-memory-verify', 'verify']] as const) {
    const c = args(render('jobs'), name)
    t.equal((c?.args as string[] | undefined)?.[0], command, `${name} runs ${command}`)
    const green = objs(c?.env).find((e) => e.name === 'GREEN_STORE_URL')
    t.same(at(green, 'valueFrom', 'secretKeyRef'), { name: 'mcp-memory-secrets', key: 'green-store-url' }, `${name}: GREEN_STORE_URL from the Secret, required`)
  }
  const backfill = args(render('jobs'), 'mcp-memory-backfill')
  const checkpoint = (backfill?.args as string[])[(backfill?.args as string[]).indexOf('--checkpoint') + 1]
  t.ok(objs(backfill?.volumeMounts).some((m) => checkpoint?.startsWith(`${String(m.mountPath)}/`)), 'the checkpoint is on a writable volume')
})

t.test('fixtures: each check rejects its broken file, naming the problem', async (t) => {
  const misspelt = fixture('k8s-misspelt-probe.yaml')
  t.same(await schemaProblems(misspelt[0]!, 'fixture'), [], 'the schema validator alone accepts the misspelt fields')
  const probe = containerProblems(misspelt, IMAGE).join('\n')
  t.match(probe, /unknown field readinesProbe/)
  t.match(probe, /no readinessProbe/)
  t.match(probe, /livenessProbe: unknown field initialDelaySecond/)
  t.match(containerProblems(fixture('k8s-missing-limit.yaml'), IMAGE).join('\n'), /resources\.limits\.memory missing/)
  const env = envNameProblems(fixture('k8s-unknown-env.yaml')).join('\n')
  t.match(env, /env var FEATURE_FLAGS is not in CONFIG_KEYS/)
  t.match(env, /via ConfigMap\/unknown-env: env var CACHE_TTL is not in CONFIG_KEYS/)
  t.notMatch(env, /LOG_LEVEL|STORE_URL/, 'known names pass')
  const schema = (await schemaProblems(fixture('k8s-schema-invalid.yaml')[0]!, 'fixture')).join('\n')
  t.match(schema, /spec\/replicas must be integer/)
  t.match(schema, /must have required property '?selector/)
  const broken = fixture('k8s-broken-wiring.yaml')
  t.match(serviceProblems(broken, broken).join('\n'), /Service\/mcp-memory: selector .*purple.* matches no Deployment's pods/)
  t.match(hpaProblems(broken).join('\n'), /HorizontalPodAutoscaler\/mcp-memory-blue: scaleTargetRef .*mcp-memory-bleu/)
  const pdb = pdbProblems(broken).join('\n')
  t.match(pdb, /PodDisruptionBudget\/mcp-memory-blue: selector matches 0 Deployments/)
  t.match(pdb, /Deployment\/mcp-memory-blue: no PodDisruptionBudget/)
  t.match(graceProblems(broken, shutdownMsOf(broken, [], {})).join('\n'), /terminationGracePeriodSeconds 10 < preStop 5 s \+ SHUTDOWN_TIMEOUT_MS 20000 ms/)
  t.match(trafficFileProblems(broken, [], {}).join('\n'), /mounted with subPath/)
  t.match(envValueProblems(broken, [], {}).join('\n'), /TRAFFIC_STAGE: \[stage-needs-green\]/, 'the env is parsed by the app schema')
  t.match(connectionProblems([{ kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 20 } }], 2, 100).join('\n'), /= 400 > 100/)
  t.ok(existsSync(join(ROOT, 'test/fixtures/deploy/README.md')))
})
