/**
 * docker-compose.yml, the Dockerfile it builds and the observability profile's files. No container
 * engine runs here, so each is validated statically (test/deploy/helpers/compose-checks.ts,
 * observability-checks.ts, dockerfile.ts); the fixtures at the end prove the checks fail.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ROOT } from './helpers/app-env.js'
import { appServices, APP_SERVICE, composeProblems, environment, services, type ComposeContext } from './helpers/compose-checks.js'
import { dockerfileProblems, dockerfileSyntaxProblems, imageName, readDockerfile, runtimeFacts } from './helpers/dockerfile.js'
import { grafanaProblems, prometheusMountProblems, scrapeProblems } from './helpers/observability-checks.js'
import { at } from './helpers/yaml-docs.js'

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
// Compose files use `<<: *anchor` merge keys (YAML 1.1), which the yaml package applies on request.
const yaml = (path: string): unknown => parse(read(path), { merge: true })
const exists = (path: string) => existsSync(join(ROOT, path))

const DOCKERFILE = readDockerfile()
const docker = runtimeFacts(DOCKERFILE)
const CTX: ComposeContext & { dockerHealthcheck: boolean } = { exists, imageEnv: docker.env, dockerHealthcheck: docker.healthcheck !== undefined }
const compose = yaml('docker-compose.yml')

t.test('docker-compose.yml passes every check', async (t) => {
  t.same(composeProblems(compose, CTX), [])
})

t.test('services: both Postgres colors, Redis (LFU, no persistence), migrate, the app; Prometheus and Grafana under observability', async (t) => {
  const all = services(compose)
  for (const name of ['postgres-blue', 'postgres-green', 'redis', 'migrate', APP_SERVICE, 'prometheus', 'grafana']) t.ok(all[name], name)
  t.match(JSON.stringify(all.redis?.command), /"--maxmemory-policy","allkeys-lfu"/)
  t.same(all.prometheus?.profiles, ['observability'])
  t.same(all.grafana?.profiles, ['observability'])
  t.same(at(all, APP_SERVICE, 'depends_on', 'migrate'), { condition: 'service_completed_successfully' }, 'the service waits for migrate to finish')
  for (const dep of ['postgres-blue', 'postgres-green', 'redis']) t.equal(at(all, APP_SERVICE, 'depends_on', dep, 'condition'), 'service_healthy', `and for ${dep} to be healthy`)
})

t.test('the app and migrate are built from ./Dockerfile, with the image name of the Dockerfile', async (t) => {
  t.same(appServices(compose).sort(), ['mcp-memory', 'migrate'])
  for (const name of appServices(compose)) {
    const s = services(compose)[name]!
    t.same(s.build, { context: '.', dockerfile: 'Dockerfile' }, `${name}: build context`)
    t.equal(String(s.image).split(':')[0], imageName(docker), `${name}: image ${String(s.image)}`)
  }
  t.ok(exists('Dockerfile') && exists('.dockerignore'))
})

t.test('the app is wired to blue, green and Redis, with the traffic flags in its environment', async (t) => {
  const env = environment(services(compose)[APP_SERVICE]!)
  t.equal(new URL(env.STORE_URL!).hostname, 'postgres-blue')
  t.equal(new URL(env.GREEN_STORE_URL!).hostname, 'postgres-green')
  t.equal(new URL(env.REDIS_URL!).hostname, 'redis')
  t.equal(env.TRAFFIC_STAGE, 'off', 'green is migrated but unused by default')
  t.ok(Object.keys(env).filter((k) => k.startsWith('TRAFFIC_')).length >= 4, 'TRAFFIC_* dials can be set from the shell')
  const migrate = environment(services(compose).migrate!)
  t.ok(migrate.STORE_URL && migrate.GREEN_STORE_URL, 'migrate migrates both databases')
})

t.test('the observability profile: scrape with a metrics key, rules and dashboard mounted where they are read', async (t) => {
  const prom = yaml('deploy/prometheus/prometheus.yml')
  t.same(scrapeProblems(prom, compose), [], 'scrape config')
  t.same(prometheusMountProblems(prom, compose, 'deploy/prometheus/prometheus.yml', 'deploy/prometheus/alerts.yml'), [], 'prometheus mounts')
  const datasources = yaml('deploy/grafana/provisioning/datasources/prometheus.yml')
  const providers = yaml('deploy/grafana/provisioning/dashboards/mcp-memory.yml')
  t.same(grafanaProblems(datasources, providers, compose, 'deploy/grafana/dashboard.json', 'deploy/grafana/provisioning'), [], 'grafana provisioning')
  for (const file of ['deploy/prometheus/alerts.yml', 'deploy/grafana/dashboard.json']) t.ok(exists(file), `${file} is present`)
})

t.test('the Dockerfile: multi-stage, production deps, numeric non-root user, HEALTHCHECK, writes on a volume only', async (t) => {
  t.same(dockerfileSyntaxProblems(DOCKERFILE), [], 'syntax (dockerfile-utils)')
  t.same(dockerfileProblems(DOCKERFILE, read('.dockerignore'), exists), [], 'policy')
  t.equal(docker.env.PORT, '3000')
  t.ok(docker.exposed.includes(3000))
  t.match(docker.healthcheck ?? '', /\/healthz/)
  // The app resolves ./data against its working directory: that must lead to the volume.
  t.ok(docker.runtime.instructions.some((i) => i.cmd === 'RUN' && /ln -s \/data \/app\/data/.test(i.args)), './data is the volume')
  t.equal(docker.workdir, '/app')
})

t.test('fixtures: the checks reject a broken compose file and a broken Dockerfile, naming the problem', async (t) => {
  const unknown = composeProblems(parse(read('test/fixtures/deploy/compose-unknown-env.yml'), { merge: true }), CTX).join('\n')
  t.match(unknown, /compose: mcp-memory: env var CACHE_TTL is not in CONFIG_KEYS/)
  t.match(unknown, /TRAFFIC_STAGE: \[stage-needs-green\]/, 'values go through the app config schema')
  t.match(unknown, /mcp-memory must set GREEN_STORE_URL/)
  const missing = composeProblems(parse(read('test/fixtures/deploy/compose-missing-service.yml')), CTX).join('\n')
  t.match(missing, /service postgres-green is missing/)
  t.match(missing, /service prometheus is missing from profile observability/)
  t.match(missing, /redis needs --maxmemory-policy allkeys-lfu/)
  t.match(missing, /redis must not persist/)
  t.match(missing, /port "3000:3000" must be bound to 127\.0\.0\.1/)
  t.match(missing, /uses volume pgdata, which is not declared/)
  t.match(missing, /mcp-memory must depend on migrate with condition service_completed_successfully/)
  t.match(missing, /redis has no healthcheck/)
  t.match(missing, /mcp-memory must run with read_only: true/)
  t.match(missing, /stop_grace_period must exceed SHUTDOWN_TIMEOUT_MS/)
  const badMount = { services: { x: { image: 'busybox', volumes: ['./deploy/prometheus/nope.yml:/etc/nope.yml'] } } }
  t.match(composeProblems(badMount, CTX).join('\n'), /bind-mounts \.\/deploy\/prometheus\/nope\.yml, which is not in the repository/)
  const scrape = { scrape_configs: [{ job_name: 'x', authorization: { credentials: 'wrong-key-0000000000' }, static_configs: [{ targets: ['mcp-memory:3000'] }] }] }
  t.match(scrapeProblems(scrape, compose).join('\n'), /bearer credentials are not a metrics or admin key/)
  const rootImage = DOCKERFILE.replace('USER 1000:1000', 'USER node').replace(/HEALTHCHECK[^\n]*\n[^\n]*\n/, '').replace('--omit=dev ', '')
  const docker = dockerfileProblems(rootImage, read('.dockerignore') + '\nmigrations\n', exists).join('\n')
  t.match(docker, /USER must be a numeric non-root uid \(got node\)/)
  t.match(docker, /needs a HEALTHCHECK/)
  t.match(docker, /node_modules must come from `npm ci --omit=dev`/)
  t.match(docker, /COPY migrations is excluded by \.dockerignore/)
  const typo = dockerfileSyntaxProblems(DOCKERFILE.replace('--interval=10s', '--intervall=10s').replace('EXPOSE 3000', 'EXPOSE http')).join('\n')
  t.match(typo, /Unknown flag: intervall/)
  t.match(typo, /Invalid containerPort: http/)
})
