/**
 * Facts of the Dockerfile that the manifests and compose must agree with: the runtime stage's
 * user, port, environment, image title, health check and entry point.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validate } from 'dockerfile-utils'
import { ROOT } from './app-env.js'

export interface Instruction {
  cmd: string
  args: string
}

export interface Stage {
  from: string
  name: string | undefined
  instructions: Instruction[]
}

/** Instructions by stage; continuation lines joined, comments dropped. */
export function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of joined) {
    const m = /^(\S+)\s+(.*)$/.exec(line)
    if (!m) continue
    const cmd = m[1]!.toUpperCase()
    const args = m[2]!.replace(/\s+/g, ' ').trim()
    if (cmd === 'FROM') {
      const [from = '', , name] = args.split(' ')
      stages.push({ from, name, instructions: [] })
    } else stages.at(-1)?.instructions.push({ cmd, args })
  }
  return stages
}

/** `KEY=value KEY2="v 2"` (the form this repository uses) into a map. */
function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of args.matchAll(/([A-Za-z_][\w.-]*)=("([^"]*)"|\S*)/g)) out[m[1]!] = m[3] ?? m[2]!
  return out
}

export interface RuntimeFacts {
  stages: Stage[]
  runtime: Stage
  env: Record<string, string>
  labels: Record<string, string>
  user: string | undefined
  exposed: number[]
  healthcheck: string | undefined
  entrypoint: string[]
  workdir: string | undefined
}

export function runtimeFacts(text: string): RuntimeFacts {
  const stages = parseDockerfile(text)
  const runtime = stages.at(-1)
  if (!runtime) throw new Error('Dockerfile has no FROM')
  const all = (cmd: string) => runtime.instructions.filter((i) => i.cmd === cmd)
  const last = (cmd: string) => all(cmd).at(-1)?.args
  const entry = last('ENTRYPOINT')
  return {
    stages,
    runtime,
    env: Object.assign({}, ...all('ENV').map((i) => keyValues(i.args))) as Record<string, string>,
    labels: Object.assign({}, ...all('LABEL').map((i) => keyValues(i.args))) as Record<string, string>,
    user: last('USER'),
    exposed: all('EXPOSE').flatMap((i) => i.args.split(' ').map((p) => Number(p.split('/')[0]))),
    healthcheck: last('HEALTHCHECK'),
    entrypoint: entry?.startsWith('[') ? (JSON.parse(entry) as string[]) : entry ? entry.split(' ') : [],
    workdir: last('WORKDIR'),
  }
}

export const readDockerfile = (path = join(ROOT, 'Dockerfile')): string => readFileSync(path, 'utf8')

/** The image name every deploy file must use: the runtime stage's OCI title label. */
export function imageName(facts: RuntimeFacts): string {
  const title = facts.labels['org.opencontainers.image.title']
  if (!title) throw new Error('Dockerfile: runtime stage has no org.opencontainers.image.title label')
  return title
}

/** `registry/path/name:tag@digest` → `name`. */
export function imageRepoName(image: string): string {
  const noDigest = image.split('@')[0]!
  const last = noDigest.split('/').at(-1)!
  return last.split(':')[0]!
}

/**
 * Syntax, as `docker build` would parse it (no engine runs here): unknown instructions and flags,
 * malformed JSON forms, bad ports, via dockerfile-utils (the VS Code Docker linter's library).
 */
export function dockerfileSyntaxProblems(text: string): string[] {
  return validate(text).map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`)
}

/**
 * Policy the issue asks of the image: production dependencies only, a numeric non-root user, a
 * HEALTHCHECK, the port exposed, writes confined to a volume, and a build context that holds
 * every file the Dockerfile copies.
 */
export function dockerfileProblems(text: string, dockerignore: string, exists: (path: string) => boolean): string[] {
  const problems: string[] = []
  const f = runtimeFacts(text)
  const runs = (s: Stage) => s.instructions.filter((i) => i.cmd === 'RUN').map((i) => i.args)
  if (f.stages.length < 2) problems.push('Dockerfile: not multi-stage')
  if (!f.user || !/^\d+(:\d+)?$/.test(f.user) || /^0(:|$)/.test(f.user)) {
    problems.push(`Dockerfile: runtime USER must be a numeric non-root uid (got ${f.user ?? 'none'})`)
  }
  if (!f.healthcheck?.includes('/healthz')) problems.push('Dockerfile: runtime stage needs a HEALTHCHECK on /healthz')
  const port = Number(f.env.PORT)
  if (!f.exposed.includes(port)) problems.push(`Dockerfile: EXPOSE ${f.exposed.join(',')} does not include PORT=${f.env.PORT}`)
  // Production dependencies: the runtime's node_modules come from a stage that omitted dev deps.
  const copies = f.runtime.instructions.filter((i) => i.cmd === 'COPY' && /node_modules/.test(i.args))
  const fromStage = copies.map((i) => /--from=(\S+)/.exec(i.args)?.[1]).find(Boolean)
  const depsStage = f.stages.find((s) => s.name === fromStage)
  const prodOnly = (s: Stage | undefined) => !!s && runs(s).some((r) => /npm ci\b.*--omit=dev/.test(r))
  if (!prodOnly(depsStage) && !prodOnly(f.runtime)) problems.push('Dockerfile: runtime node_modules must come from `npm ci --omit=dev`')
  if (runs(f.runtime).some((r) => /npm (ci|install)\b/.test(r) && !/--omit=dev/.test(r))) {
    problems.push('Dockerfile: runtime stage installs dev dependencies')
  }
  // Read-only root: the embedded store must live on a declared volume.
  const volumes = f.runtime.instructions
    .filter((i) => i.cmd === 'VOLUME')
    .flatMap((i) => (i.args.startsWith('[') ? (JSON.parse(i.args) as string[]) : i.args.split(' ')))
  const pglite = /^pglite:\/\/(\/.*)$/.exec(f.env.STORE_URL ?? '')?.[1]
  if (!pglite || !volumes.some((v) => pglite.startsWith(v + '/'))) {
    problems.push(`Dockerfile: STORE_URL (${f.env.STORE_URL}) must be an absolute pglite:// path on a VOLUME (${volumes.join(', ') || 'none'})`)
  }
  const script = f.entrypoint.find((a) => a.endsWith('.js'))
  const source = script?.replace(/^\/app\//, '').replace(/^dist\//, '').replace(/\.js$/, '.ts')
  if (!source || !exists(source)) problems.push(`Dockerfile: ENTRYPOINT ${f.entrypoint.join(' ')} does not map to a source file`)
  // Every COPY source from the context must exist and survive .dockerignore.
  const ignored = dockerignore.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const stage of f.stages) {
    for (const i of stage.instructions.filter((x) => x.cmd === 'COPY' && !x.args.includes('--from='))) {
      for (const src of i.args.split(' ').slice(0, -1)) {
        if (!exists(src)) problems.push(`Dockerfile: COPY ${src}: not in the repository`)
        const hit = ignored.find((p) => p === src || src.startsWith(p.replace(/\/$/, '') + '/') || (p.startsWith('*') && src.endsWith(p.slice(1))))
        if (hit) problems.push(`Dockerfile: COPY ${src} is excluded by .dockerignore (${hit})`)
      }
    }
  }
  return problems
}
