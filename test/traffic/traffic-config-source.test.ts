/** TrafficConfigSource: env overridden by a polled file; bad files never replace the last good config. */
import { mkdtemp, mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError } from '../../src/config/load-config.js'
import type { RawTrafficValues } from '../../src/traffic/traffic-config.js'
import { TrafficConfigSource, type ConfiguredTraffic, type TrafficLog } from '../../src/traffic/traffic-config-source.js'

const ENV: RawTrafficValues = { stage: 'dualwrite', routingKey: 'tool', routingSalt: 'mcp-memory', allowComplete: false }

interface Line {
  level: 'info' | 'warn' | 'error'
  obj: object
  msg: string
}
function recorder(): TrafficLog & { lines: Line[] } {
  const lines: Line[] = []
  const at = (level: Line['level']) => (obj: object, msg: string) => void lines.push({ level, obj, msg })
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpmem-traffic-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function source(t: { teardown(fn: () => unknown): void }, filePath: string | undefined, pollMs = 60_000) {
  const log = recorder()
  let clock = 1000
  const s = new TrafficConfigSource({ env: ENV, filePath, pollMs, log, now: () => ++clock })
  t.teardown(() => s.stop())
  return { s, log }
}

t.test('without a file the environment is in force', async (t) => {
  const { s } = source(t, undefined)
  s.start()
  t.match(s.current(), { source: 'env', settings: { stage: 'dualwrite', dualWrite: true, greenReadPercent: 0 } })
  t.match(s.current().fingerprint, /^[0-9a-f]{16}$/)
  await s.reload()
  t.equal(s.lastRejection(), null)
})

t.test('the file overrides the environment; a change takes effect on reload', async (t) => {
  const file = join(await tempDir(t), 'traffic.yaml')
  await writeFile(file, 'TRAFFIC_STAGE: shadow\nTRAFFIC_SHADOW_READ_PERCENT: "20"\n')
  const { s, log } = source(t, file)
  s.start()
  const first = s.current()
  t.match(first, { source: 'file', settings: { stage: 'shadow', shadowReadPercent: 20, dualWrite: true } })

  const seen: [ConfiguredTraffic, ConfiguredTraffic][] = []
  s.onChange((next, previous) => seen.push([next, previous]))
  await writeFile(file, '{"TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_READ_PERCENT": 10, "TRAFFIC_GREEN_WRITE_PERCENT": 0}')
  await s.reload()
  const next = s.current()
  // The new file replaces the old one whole: its unset shadow share is live's preset, not the old 20.
  t.match(next.settings, { stage: 'live', greenReadPercent: 10, greenWritePercent: 0, shadowReadPercent: 10 })
  t.not(next.fingerprint, first.fingerprint, 'the fingerprint changes with the settings')
  t.ok(next.loadedAt > first.loadedAt)
  t.equal(seen.length, 1, 'listeners called once')
  t.equal(seen[0]?.[1].fingerprint, first.fingerprint, 'listeners get the previous config')
  const info = log.lines.filter((l) => l.level === 'info').at(-1)
  t.match(info?.msg, /stage shadow→live/)
  t.match(info?.msg, /greenReadPercent 0→10/)
  t.ok(info?.msg.includes(next.fingerprint), 'the log line names the new fingerprint')

  await writeFile(file, '{ "TRAFFIC_GREEN_WRITE_PERCENT": "0", "TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_READ_PERCENT": "10" }\n')
  await s.reload()
  t.equal(seen.length, 1, 'the same settings written differently are no change')
  t.equal(s.current().fingerprint, next.fingerprint)
})

t.test('an invalid change is rejected once and the last good config stays', async (t) => {
  const file = join(await tempDir(t), 'traffic.json')
  await writeFile(file, '{"TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_READ_PERCENT": 10, "TRAFFIC_GREEN_WRITE_PERCENT": 0}')
  const { s, log } = source(t, file)
  s.start()
  const good = s.current()
  let changes = 0
  s.onChange(() => changes++)

  await writeFile(file, '{"TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_READ_PERCENT": 10, "TRAFFIC_GREEN_WRITE_PERCENT": 50}')
  await s.reload()
  await s.reload()
  t.same(s.current(), good, 'the last good config stays')
  t.equal(changes, 0)
  const rejection = s.lastRejection()
  t.match(rejection?.errors, [/^\[write-within-read\] TRAFFIC_GREEN_WRITE_PERCENT \(50\)/])
  const warns = log.lines.filter((l) => l.level === 'warn')
  t.equal(warns.length, 1, 'one warning per distinct bad content, not per poll')
  t.match(warns[0]?.msg, /write-within-read/)

  await writeFile(file, '{"TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_RED_PERCENT": 10}')
  await s.reload()
  t.match(s.lastRejection()?.errors, [/unknown key TRAFFIC_GREEN_RED_PERCENT/])
  t.equal(log.lines.filter((l) => l.level === 'warn').length, 2, 'a different bad content warns again')

  await unlink(file)
  await s.reload()
  t.match(s.lastRejection()?.errors, [/cannot read .*ENOENT/])
  t.same(s.current(), good, 'a missing file keeps the last good config too')

  await writeFile(file, '{"TRAFFIC_STAGE": "live", "TRAFFIC_GREEN_READ_PERCENT": 50, "TRAFFIC_GREEN_WRITE_PERCENT": 0}')
  await s.reload()
  t.match(s.current().settings, { greenReadPercent: 50 })
  t.equal(s.lastRejection(), null, 'a good file clears the rejection')
  t.equal(changes, 1)
})

t.test('start-up refuses a missing or invalid file', async (t) => {
  const dir = await tempDir(t)
  t.throws(() => source(t, join(dir, 'absent.yaml')).s.start(), ConfigError)
  const file = join(dir, 'bad.yaml')
  await writeFile(file, 'TRAFFIC_STAGE: complete\n')
  const { s } = source(t, file)
  try {
    s.start()
    t.fail('accepted complete without TRAFFIC_ALLOW_COMPLETE')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.match((err as Error).message, /TRAFFIC_CONFIG_FILE: \[complete-needs-allow\]/)
  }
})

t.test('a ConfigMap-style symlink swap is picked up by the poll timer', async (t) => {
  // Kubernetes: traffic.yaml -> ..data/traffic.yaml, ..data -> ..<timestamp>; an update renames a new ..data link over the old.
  const dir = await tempDir(t)
  await mkdir(join(dir, '..v1'))
  await writeFile(join(dir, '..v1', 'traffic.yaml'), 'TRAFFIC_STAGE: shadow\n')
  await symlink('..v1', join(dir, '..data'))
  await symlink(join('..data', 'traffic.yaml'), join(dir, 'traffic.yaml'))
  const { s } = source(t, join(dir, 'traffic.yaml'), 100)
  s.start()
  t.equal(s.current().settings.stage, 'shadow')

  const changed = new Promise<ConfiguredTraffic>((resolve) => s.onChange((next) => resolve(next)))
  await mkdir(join(dir, '..v2'))
  await writeFile(join(dir, '..v2', 'traffic.yaml'), 'TRAFFIC_STAGE: live\nTRAFFIC_GREEN_READ_PERCENT: 100\nTRAFFIC_GREEN_WRITE_PERCENT: 10\n')
  await symlink('..v2', join(dir, '..data_tmp'))
  await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  // Not unref'ed: the poll timer is, so this keeps the process alive while waiting for it.
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 10_000)))
  const next = await Promise.race([changed, timeout])
  clearTimeout(timer)
  t.ok(next, 'the poll saw the swap within 10 s')
  t.match(next?.settings, { stage: 'live', greenReadPercent: 100, greenWritePercent: 10 })
  t.equal(s.current().source, 'file')
})

t.test('live changes may not skip dualwrite from off, nor leave complete', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'traffic.json')
  await writeFile(file, JSON.stringify({ TRAFFIC_STAGE: 'off' }))
  const { s } = source(t, file)
  s.start()
  await writeFile(file, JSON.stringify({ TRAFFIC_STAGE: 'live' }))
  await s.reload()
  t.equal(s.current().settings.stage, 'off', 'off → live refused')
  t.match(s.lastRejection()?.errors.join(), /\[dualwrite-before-green\]/)
  await writeFile(file, JSON.stringify({ TRAFFIC_STAGE: 'dualwrite' }))
  await s.reload()
  await writeFile(file, JSON.stringify({ TRAFFIC_STAGE: 'complete', TRAFFIC_ALLOW_COMPLETE: true }))
  await s.reload()
  t.equal(s.current().settings.stage, 'complete', 'dualwrite → complete is allowed (the operator allowed it)')
  await writeFile(file, JSON.stringify({ TRAFFIC_STAGE: 'rampdown' }))
  await s.reload()
  t.equal(s.current().settings.stage, 'complete', 'complete → rampdown refused')
  t.match(s.lastRejection()?.errors.join(), /\[complete-is-final\]/)
})
