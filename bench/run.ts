/**
 * `npm run bench`: prepares the benchmark database (create, migrate, seed or reuse), starts the bare
 * baseline server and the real service as child processes, runs every scenario with autocannon from
 * this process (warm-up, then a measured run), samples the service's VmRSS during its runs, and
 * prints a results table with the ratios and targets. Settings: see env.ts.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { readRss, sampleRss, startChild, type ServerChild } from './children.js'
import { cleanupBenchRows, pickIds, serverFacts } from './db.js'
import { databaseUrl, readBenchEnv, type BenchEnv } from './env.js'
import { renderSummary, summarizeFile } from './profile.js'
import { evaluateTargets, renderReport, toMeasurement, type Measurement } from './report.js'
import { SCENARIOS, selectScenarios, type Scenario, type ScenarioContext } from './scenarios.js'
import { prepareDatabase } from './seed.js'
import { READ_TOOL } from './words.js'

/** Hard stop for the whole run, whatever happens. */
const WATCHDOG_MS = 25 * 60_000
const READ_IDS = 5000

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
  const sampler = sampleRss(child.pid, env.database)
  const result = await load(child.port, scenario, ctx, env.durationSec, connections)
  const usage = sampler.stop()
  const m = toMeasurement(scenario, result, usage)
  const reply = await child.request({ type: 'memory' }, 'memory', 10_000).catch(() => null)
  if (reply) m.memoryAfter = reply.usage as NodeJS.MemoryUsage
  if (reply?.retained) m.memoryRetained = reply.retained as NodeJS.MemoryUsage
  const mb = (n: number) => (n / 1048576).toFixed(1)
  const failed = m.failures > 0 ? `, ${m.failures} FAILED ${JSON.stringify(m.statusCounts)}` : ''
  log(`${scenario.name.padEnd(19)} ${m.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms` +
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
  const scenarios = selectScenarios(env.only, env.probeConnections, env.rounds)
  const unknownProfiles = env.profile.filter((n) => n !== 'all' && !SCENARIOS.some((s) => s.name === n))
  if (unknownProfiles.length > 0) throw new Error(`unknown scenario(s) in BENCH_PROFILE: ${unknownProfiles.join(', ')}`)
  const toProfile = env.profile.includes('all') ? SCENARIOS : SCENARIOS.filter((s) => env.profile.includes(s.name))
  const needsService = [...scenarios, ...toProfile].some((s) => s.target === 'service')
  await mkdir(env.outDir, { recursive: true })
  log(`${env.quick ? 'QUICK mode: ' : ''}${env.durationSec} s per scenario (+${env.warmupSec} s warm-up), ${env.rounds} round(s) of the ratio pairs, ` +
    `${env.connections} connections, ${env.entries.toLocaleString('en-US')} entries, pg pool ${env.pgPool}, database ${env.database}`)
  const source = sourceFingerprint()
  log(`code: git ${source.head}, src+migrations fingerprint ${source.tree}`)
  log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)

  const seeded = await prepareDatabase(env.pgBaseUrl, env.database, env.entries, (m) => log(m))
  log(`${seeded.reused ? 'reused' : 'seeded'} ${seeded.rows.toLocaleString('en-US')} entries (${seeded.seconds.toFixed(1)} s)`)
  const facts = await serverFacts(url)
  log(`postgres: ${Object.entries(facts).map(([k, v]) => `${k}=${v}`).join(', ')}`)
  const ctx: ScenarioContext = { ids: await pickIds(url, READ_TOOL, READ_IDS), runId: randomBytes(4).toString('hex') }
  if (ctx.ids.length === 0) throw new Error(`no seeded entries of ${READ_TOOL} to read`)

  const children: ServerChild[] = []
  const watchdog = setTimeout(() => {
    console.error(`[bench] watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`)
    for (const c of children) c.process.kill('SIGKILL')
    process.exit(2)
  }, WATCHDOG_MS)
  watchdog.unref()

  const results: Measurement[] = []
  const profiles: string[] = []
  let idleRss: number | null = null
  try {
    const bare = await startChild('bare server', './bare-server.ts', { BARE_PG_URL: url, BARE_PG_POOL: String(env.pgPool) })
    children.push(bare)
    const service = needsService
      ? await startChild('service', './service-server.ts', { SERVICE_STORE_URL: url, SERVICE_PG_POOL: String(env.pgPool) })
      : null
    if (service) children.push(service)
    if (service) {
      idleRss = readRss(service.pid)
      log(`service pid ${service.pid} on port ${service.port} (idle RSS ${((idleRss ?? 0) / 1048576).toFixed(1)} MB); ` +
        `bare pid ${bare.pid} on port ${bare.port} (idle RSS ${((readRss(bare.pid) ?? 0) / 1048576).toFixed(1)} MB)`)
    }

    for (const scenario of scenarios) {
      const child = scenario.target === 'service' ? service : bare
      if (!child) continue
      results.push(await measure(env, child, scenario, ctx))
    }

    if (toProfile.length > 0) await cleanupBenchRows(url)
    for (const scenario of toProfile) {
      const child = scenario.target === 'service' ? service : bare
      if (child) profiles.push(await profileScenario(env, child, scenario, ctx))
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => undefined)
    const removed = await cleanupBenchRows(url).catch(() => 0)
    if (removed > 0) log(`removed ${removed} rows written by this run`)
    clearTimeout(watchdog)
  }

  const targets = evaluateTargets(results, env.entries)
  const report = renderReport(results, targets)
  console.log(`\n${report}\n`)
  const file = join(env.outDir, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(file, JSON.stringify({ source, env, facts, seeded, serviceIdleRss: idleRss, results, targets, profiles }, null, 2))
  log(`results written to ${file}`)
}

await main()
