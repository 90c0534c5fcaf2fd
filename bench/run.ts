/**
 * `npm run bench`: prepares the benchmark database (create, migrate, seed or reuse), builds the
 * service (`npm run build`), starts the bare baseline server and the real service (compiled, plain
 * node; once with its default in-process LRU, once with Redis) as child processes, runs every
 * scenario with autocannon from this process (warm-up, then a measured run), samples the servers'
 * VmRSS during their runs, and prints a results table with the ratios and targets. Settings: see env.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { readRss, sampleRss, startChild, type ServerChild } from './children.js'
import { cleanupBenchRows, pickIds, serverFacts } from './db.js'
import { databaseUrl, readBenchEnv, type BenchEnv } from './env.js'
import { renderSummary, summarizeFile } from './profile.js'
import { evaluateTargets, hitRatio, renderReport, toMeasurement, type CacheCounts, type Measurement } from './report.js'
import { SCENARIOS, selectScenarios, type Scenario, type ScenarioContext, type Target } from './scenarios.js'
import { prepareDatabase } from './seed.js'
import { KV_PREFIX, READ_TOOL } from './words.js'

/** Hard stop for the whole run, whatever happens. */
const WATCHDOG_MS = 25 * 60_000
/** Size of each value `bare-kv` reads. */
const KV_BYTES = 1024
const ROOT = fileURLToPath(new URL('../', import.meta.url))

const log = (message: string) => console.log(`[bench] ${message}`)

/** Which code was measured: git HEAD, and a hash of src/ and migrations/ as they are on disk (uncommitted edits included). */
function sourceFingerprint(): { head: string; tree: string } {
  const root = new URL('../', import.meta.url)
  let head = 'unknown'
  try {
    head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    // not a git checkout
  }
  const hash = createHash('sha256')
  for (const dir of ['src', 'migrations']) {
    const files = readdirSync(new URL(dir, root), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|sql)$/.test(f)).sort()
    for (const f of files) hash.update(`${dir}/${f}\0`).update(readFileSync(new URL(`${dir}/${f}`, root))).update('\0')
  }
  return { head, tree: hash.digest('hex').slice(0, 12) }
}

/**
 * `npm run build` (tsc → dist/), which the service child runs. tsc emits even with type errors (other
 * people may be mid-edit), so a failed type check is a warning, a missing dist/src/app.js an error.
 * Files under src/ that tsc does not emit (non-TypeScript assets) but the compiled code needs are
 * reported, and copied next to it so that the run can go on.
 */
function buildService(): string[] {
  const warnings: string[] = []
  const started = Date.now()
  const assets = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => !/\.(ts|md)$/.test(f) && statSync(join(ROOT, 'src', f)).isFile())
  // tsc leaves dist/ files it did not write alone: remove an earlier run's copies first, so that a
  // build that does not ship an asset is reported every time, not only the first.
  for (const f of assets) rmSync(join(ROOT, 'dist/src', f), { force: true })
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const build = spawnSync(npm, ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 })
  if (build.status !== 0) {
    const errors = `${build.stdout ?? ''}${build.stderr ?? ''}`.split('\n').filter((l) => /error TS\d+/.test(l))
    warnings.push(`npm run build exited with ${build.status ?? build.signal}: ${errors.length} type error(s), e.g. ${errors.slice(0, 3).join(' | ')}`)
  }
  if (!existsSync(join(ROOT, 'dist/src/app.js'))) throw new Error(`npm run build produced no dist/src/app.js:\n${build.stdout}${build.stderr}`)
  for (const f of assets) {
    const target = join(ROOT, 'dist/src', f)
    if (existsSync(target)) continue
    warnings.push(`npm run build does not emit src/${f}, which dist/ loads at run time (production would fail with ENOENT); copied for this run`)
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(join(ROOT, 'src', f), target)
  }
  log(`npm run build: ${((Date.now() - started) / 1000).toFixed(1)} s${warnings.length ? '' : ', clean'}`)
  for (const w of warnings) log(`WARNING: ${w}`)
  return warnings
}

/** FLUSHDB the bench's own Redis database (never 0: see env.ts) and store the bare baseline's values. */
async function prepareRedis(url: string, keys: number): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null })
  try {
    await redis.flushdb()
    const pipeline = redis.pipeline()
    for (let i = 0; i < keys; i++) pipeline.set(`${KV_PREFIX}${i}`, randomBytes(KV_BYTES))
    await pipeline.exec()
  } finally {
    redis.disconnect()
  }
}

/** What the service left in the bench's Redis database: its entry values' sizes (are they comparable to 1 KiB?). */
async function inspectRedis(url: string, flush: boolean): Promise<{ entryValues: number; meanBytes: number; keys: number }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null })
  try {
    let cursor = '0'
    const sizes: number[] = []
    let guard = 0
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', 'mcpmem:*:e:*', 'COUNT', 1000)
      for (const k of found) sizes.push(await redis.strlen(k))
      cursor = next
    } while (cursor !== '0' && ++guard < 10_000)
    const keys = await redis.dbsize()
    if (flush) await redis.flushdb()
    return { entryValues: sizes.length, meanBytes: sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0, keys }
  } finally {
    redis.disconnect()
  }
}

/** `mcp_memory_cache_requests_total` by result, summed over backends, from the service's /metrics. */
async function cacheCounters(port: number): Promise<CacheCounts> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  const counts: CacheCounts = { hit: 0, miss: 0, error: 0 }
  for (const line of (await response.text()).split('\n')) {
    const m = /^mcp_memory_cache_requests_total\{([^}]*)\}\s+(\S+)/.exec(line)
    const result = m?.[1] ? /result="(\w+)"/.exec(m[1])?.[1] : undefined
    if (m?.[2] && (result === 'hit' || result === 'miss' || result === 'error')) counts[result] += Number(m[2])
  }
  return counts
}

let loads = 0

async function load(port: number, scenario: Scenario, ctx: ScenarioContext, seconds: number, connections: number) {
  // A fresh run id per load, so that created contents never repeat across warm-up and measured runs.
  const runCtx = { ...ctx, runId: `${ctx.runId}.${++loads}` }
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    timeout: 10,
    ...scenario.options(runCtx),
  })
}

async function measure(env: BenchEnv, child: ServerChild, scenario: Scenario, ctx: ScenarioContext): Promise<Measurement> {
  const connections = scenario.connections ?? env.connections
  if (env.warmupSec > 0) await load(child.port, scenario, ctx, env.warmupSec, connections)
  const cacheBefore = scenario.cacheStats ? await cacheCounters(child.port) : null
  const sampler = sampleRss(child.pid, env.database)
  const result = await load(child.port, scenario, ctx, env.durationSec, connections)
  const usage = sampler.stop()
  const m = toMeasurement(scenario, result, usage)
  if (cacheBefore) {
    const after = await cacheCounters(child.port)
    m.cache = { hit: after.hit - cacheBefore.hit, miss: after.miss - cacheBefore.miss, error: after.error - cacheBefore.error }
  }
  const reply = await child.request({ type: 'memory' }, 'memory', 10_000).catch(() => null)
  if (reply) m.memoryAfter = reply.usage as NodeJS.MemoryUsage
  if (reply?.retained) m.memoryRetained = reply.retained as NodeJS.MemoryUsage
  const mb = (n: number) => (n / 1048576).toFixed(1)
  const failed = m.failures > 0 ? `, ${m.failures} FAILED ${JSON.stringify(m.statusCounts)}` : ''
  const cache = m.cache ? `  cache hits ${(hitRatio(m.cache) * 100).toFixed(1)} % (${m.cache.hit}/${m.cache.miss}/${m.cache.error} hit/miss/error)` : ''
  log(`${scenario.name.padEnd(19)} ${m.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms` +
    `  ${m.bytesPerResponse.toFixed(0)} B/resp${cache}` +
    `  CPU µs/req server ${m.cpuUsPerRequest.toFixed(0)} pg ${m.dbCpuUsPerRequest.toFixed(0)}  other load ${m.otherCores.toFixed(2)} cores` +
    `  RSS peak ${mb(usage.peak)} MB` +
    `${m.memoryAfter ? ` (heap used/total ${mb(m.memoryAfter.heapUsed)}/${mb(m.memoryAfter.heapTotal)} MB` : ''}` +
    `${m.memoryRetained ? `; after GC heap ${mb(m.memoryRetained.heapUsed)} MB, RSS ${mb(m.memoryRetained.rss)} MB)` : m.memoryAfter ? ')' : ''}${failed}`)
  return m
}

/** Re-run `scenario` under the in-process CPU profiler of its server; prints the summary. */
async function profileScenario(env: BenchEnv, child: ServerChild, scenario: Scenario, ctx: ScenarioContext): Promise<string> {
  const path = join(env.outDir, `${scenario.target}-${scenario.name}-${Date.now()}.cpuprofile`)
  await child.request({ type: 'profile-start' }, 'profile-started')
  await load(child.port, scenario, ctx, env.durationSec, scenario.connections ?? env.connections)
  await child.request({ type: 'profile-stop', path }, 'profile-saved')
  const text = renderSummary(`${scenario.name} (${path})`, summarizeFile(path))
  console.log(`\n${text}`)
  return text
}

async function main(): Promise<void> {
  const env = readBenchEnv()
  const url = databaseUrl(env)
  const scenarios = selectScenarios(env.only, env.probeConnections, env.rounds, env.redisUrl !== null)
  const unknownProfiles = env.profile.filter((n) => n !== 'all' && !SCENARIOS.some((s) => s.name === n))
  if (unknownProfiles.length > 0) throw new Error(`unknown scenario(s) in BENCH_PROFILE: ${unknownProfiles.join(', ')}`)
  const toProfile = env.profile.includes('all') ? SCENARIOS : SCENARIOS.filter((s) => env.profile.includes(s.name))
  const needs = (target: Target) => [...scenarios, ...toProfile].some((s) => s.target === target)
  const needsRedis = env.redisUrl !== null && [...scenarios, ...toProfile].some((s) => s.target === 'service-redis' || s.name === 'bare-kv')
  await mkdir(env.outDir, { recursive: true })
  log(`${env.quick ? 'QUICK mode: ' : ''}${env.durationSec} s per scenario (+${env.warmupSec} s warm-up), ${env.rounds} round(s) of the ratio pairs, ` +
    `${env.connections} connections, ${env.entries.toLocaleString('en-US')} entries, pg pool ${env.pgPool}, database ${env.database}`)
  const source = sourceFingerprint()
  log(`code: git ${source.head}, src+migrations fingerprint ${source.tree}`)
  const loadStart = loadavg()
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`)
  const buildWarnings = needs('service') || needs('service-redis') ? (env.build ? buildService() : []) : []
  if (!env.build) log('BENCH_BUILD=0: the service runs dist/ as it is')

  const seeded = await prepareDatabase(env.pgBaseUrl, env.database, env.entries, (m) => log(m))
  log(`${seeded.reused ? 'reused' : 'seeded'} ${seeded.rows.toLocaleString('en-US')} entries (${seeded.seconds.toFixed(1)} s)`)
  const facts = await serverFacts(url)
  log(`postgres: ${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join(', ')}`)
  const ids = await pickIds(url, READ_TOOL, env.readIds)
  const ctx: ScenarioContext = { ids, hotIds: ids.slice(0, env.hotEntries), kvKeys: env.hotEntries, runId: randomBytes(4).toString('hex') }
  if (ctx.ids.length === 0) throw new Error(`no seeded entries of ${READ_TOOL} to read`)
  const lruSize = Number(process.env.CACHE_MAX_ENTRIES ?? 10_000)
  if (ids.length <= lruSize) log(`WARNING: read cycles through ${ids.length} ids, which fit in the service's LRU (${lruSize}): read measures cache hits, not the store`)
  if (needsRedis && env.redisUrl) {
    await prepareRedis(env.redisUrl, env.hotEntries)
    log(`redis ${env.redisUrl}: flushed, ${env.hotEntries} values of ${KV_BYTES} B stored for bare-kv`)
  }

  const children: ServerChild[] = []
  const watchdog = setTimeout(() => {
    console.error(`[bench] watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`)
    for (const c of children) c.process.kill('SIGKILL')
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()

  const results: Measurement[] = []
  const profiles: string[] = []
  const idleRss: Record<string, number | null> = {}
  const startup: Record<string, Record<string, unknown>> = {}
  let redisContents: Awaited<ReturnType<typeof inspectRedis>> | null = null
  const mb = (n: number | null | undefined) => ((n ?? 0) / 1048576).toFixed(1)
  try {
    const bare = await startChild('bare server', './bare-server.ts', {
      BARE_PG_URL: url, BARE_PG_POOL: String(env.pgPool), BARE_REDIS_URL: needsRedis ? (env.redisUrl ?? '') : '',
      BARE_NAMED: env.bareNamed ? '1' : '0',
    })
    children.push(bare)
    const byTarget: Record<Target, ServerChild | null> = { bare, service: null, 'service-redis': null }
    const services = [
      ['service', 'service (LRU)', ''],
      ['service-redis', 'service (Redis)', needsRedis ? env.redisUrl : null],
    ] as const
    for (const [target, name, redisUrl] of services) {
      if (!needs(target) || redisUrl === null) continue
      const child = await startChild(name, './service-server.mjs', {
        SERVICE_STORE_URL: url, SERVICE_PG_POOL: String(env.pgPool), SERVICE_REDIS_URL: redisUrl,
      }, env.serviceNodeArgs)
      children.push(child)
      byTarget[target] = child
      idleRss[target] = readRss(child.pid)
      startup[target] = child.ready
      log(`${name} pid ${child.pid} on port ${child.port}: idle RSS ${mb(idleRss[target])} MB, hot tier ${String(child.ready.hotTier)}, ` +
        `node ${JSON.stringify(child.ready.execArgv)} (compiled dist/, no tsx)`)
      const phases = (child.ready.phases ?? []) as { phase: string; rss: number; heapUsed: number; external: number }[]
      let previous = 0
      for (const p of phases) {
        log(`    ${p.phase.padEnd(78)} RSS ${mb(p.rss).padStart(6)} MB (${p.rss >= previous ? '+' : ''}${mb(p.rss - previous)})  heap used ${mb(p.heapUsed)} MB  external ${mb(p.external)} MB`)
        previous = p.rss
      }
    }
    log(`bare pid ${bare.pid} on port ${bare.port} (idle RSS ${mb(readRss(bare.pid))} MB, under tsx; ` +
      `${env.bareNamed ? 'named prepared' : 'unnamed'} statements)`)

    for (const scenario of scenarios) {
      const child = byTarget[scenario.target]
      if (!child) continue
      results.push(await measure(env, child, scenario, ctx))
    }

    if (toProfile.length > 0) await cleanupBenchRows(url)
    for (const scenario of toProfile) {
      const child = byTarget[scenario.target]
      if (child) profiles.push(await profileScenario(env, child, scenario, ctx))
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => undefined)
    const removed = await cleanupBenchRows(url).catch(() => 0)
    if (removed > 0) log(`removed ${removed} rows written by this run`)
    if (needsRedis && env.redisUrl) {
      redisContents = await inspectRedis(env.redisUrl, true).catch(() => null)
      if (redisContents) {
        log(`redis: the service cached ${redisContents.entryValues} entries, ${redisContents.meanBytes.toFixed(0)} B per value on average ` +
          `(bare-kv values: ${KV_BYTES} B); ${redisContents.keys} keys in the database, now flushed`)
      }
    }
    clearTimeout(watchdog)
  }

  const loadEnd = loadavg()
  log(`load average at the end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`)
  const targets = evaluateTargets(results, env.entries, idleRss)
  const report = renderReport(results, targets)
  console.log(`\n${report}\n`)
  const file = join(env.outDir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, JSON.stringify({
    source, env, facts, seeded, buildWarnings, serviceIdleRss: idleRss, startup, redisContents,
    loadAverage: { start: loadStart, end: loadEnd }, results, targets, profiles,
  }, null, 2))
  log(`results written to ${file}`)
}

await main()
