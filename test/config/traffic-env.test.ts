/** The GREEN_STORE_URL / TRAFFIC_* / OUTBOX_* flags: defaults, ranges and the traffic invariants at start-up. */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load-config.js'

const GREEN = { GREEN_STORE_URL: 'memory://' }

function rejection(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return ''
}

t.test('defaults: no green, stage off, guard and shadow settings', async (t) => {
  const c = loadConfig({})
  t.equal(c.GREEN_STORE_URL, undefined)
  t.match(c, {
    TRAFFIC_STAGE: 'off', TRAFFIC_ROUTING_KEY: 'tool', TRAFFIC_ROUTING_SALT: 'mcp-memory', TRAFFIC_ALLOW_COMPLETE: false,
    TRAFFIC_CONFIG_POLL_MS: 1000, TRAFFIC_KILL_SWITCH_KEY: 'mcpmem:traffic:kill-switch', TRAFFIC_KILL_SWITCH_POLL_MS: 1000,
    TRAFFIC_GUARD_WINDOW_SECONDS: 60, TRAFFIC_GUARD_MIN_SAMPLES: 100, TRAFFIC_GUARD_MAX_ERROR_PERCENT: 5,
    TRAFFIC_GUARD_MAX_LATENCY_RATIO: 3, TRAFFIC_GUARD_MAX_MISMATCH_PERCENT: 1, TRAFFIC_SHADOW_DEADLINE_MS: 500,
    TRAFFIC_SHADOW_MAX_IN_FLIGHT: 32, TRAFFIC_SHADOW_RECHECK_MS: 250, TRAFFIC_MIRROR_TIMEOUT_MS: 2000, OUTBOX_REPAIR_INTERVAL_MS: 1000,
  })
  for (const unset of ['TRAFFIC_GREEN_READ_PERCENT', 'TRAFFIC_GREEN_WRITE_PERCENT', 'TRAFFIC_SHADOW_READ_PERCENT', 'TRAFFIC_DUAL_WRITE', 'TRAFFIC_CONFIG_FILE'] as const) {
    t.equal(c[unset], undefined, `${unset} unset means the stage preset`)
  }
})

t.test('valid traffic values are parsed', async (t) => {
  const c = loadConfig({
    GREEN_STORE_URL: 'postgres://u:pw@green/mem', TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: '100',
    TRAFFIC_GREEN_WRITE_PERCENT: '10', TRAFFIC_SHADOW_READ_PERCENT: '0', TRAFFIC_DUAL_WRITE: 'true', TRAFFIC_ROUTING_KEY: 'id',
    TRAFFIC_ROUTING_SALT: 'pepper', TRAFFIC_CONFIG_FILE: '/etc/mcp-memory/traffic.yaml', TRAFFIC_GUARD_MAX_LATENCY_RATIO: '2.5',
    TRAFFIC_CONFIG_POLL_MS: '100', TRAFFIC_KILL_SWITCH_KEY: 'ops:kill',
  })
  t.match(c, {
    GREEN_STORE_URL: 'postgres://u:pw@green/mem', TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: 100, TRAFFIC_GREEN_WRITE_PERCENT: 10,
    TRAFFIC_SHADOW_READ_PERCENT: 0, TRAFFIC_DUAL_WRITE: true, TRAFFIC_ROUTING_KEY: 'id', TRAFFIC_ROUTING_SALT: 'pepper',
    TRAFFIC_CONFIG_FILE: '/etc/mcp-memory/traffic.yaml', TRAFFIC_GUARD_MAX_LATENCY_RATIO: 2.5, TRAFFIC_CONFIG_POLL_MS: 100,
    TRAFFIC_KILL_SWITCH_KEY: 'ops:kill',
  })
  t.equal(loadConfig({ ...GREEN, TRAFFIC_STAGE: 'complete', TRAFFIC_ALLOW_COMPLETE: 'yes' }).TRAFFIC_STAGE, 'complete')
  t.equal(loadConfig({ ...GREEN }).TRAFFIC_STAGE, 'off', 'green alone changes no traffic')
})

const BAD: [label: string, env: Record<string, string>, line: RegExp][] = [
  ['percent above 100', { ...GREEN, TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: '101' }, /^ {2}TRAFFIC_GREEN_READ_PERCENT: /m],
  ['percent not a number', { ...GREEN, TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_WRITE_PERCENT: 'half' }, /^ {2}TRAFFIC_GREEN_WRITE_PERCENT: must be a whole number/m],
  ['shadow percent negative', { ...GREEN, TRAFFIC_STAGE: 'shadow', TRAFFIC_SHADOW_READ_PERCENT: '-5' }, /^ {2}TRAFFIC_SHADOW_READ_PERCENT: /m],
  ['unknown stage', { ...GREEN, TRAFFIC_STAGE: 'canary' }, /^ {2}TRAFFIC_STAGE: /m],
  ['dual-write not a boolean', { ...GREEN, TRAFFIC_STAGE: 'dualwrite', TRAFFIC_DUAL_WRITE: 'sometimes' }, /^ {2}TRAFFIC_DUAL_WRITE: /m],
  ['unknown routing key', { TRAFFIC_ROUTING_KEY: 'user' }, /^ {2}TRAFFIC_ROUTING_KEY: /m],
  ['salt too long', { TRAFFIC_ROUTING_SALT: 'x'.repeat(129) }, /^ {2}TRAFFIC_ROUTING_SALT: /m],
  ['config poll too fast', { TRAFFIC_CONFIG_POLL_MS: '10' }, /^ {2}TRAFFIC_CONFIG_POLL_MS: /m],
  ['kill switch poll too slow', { TRAFFIC_KILL_SWITCH_POLL_MS: '60001' }, /^ {2}TRAFFIC_KILL_SWITCH_POLL_MS: /m],
  ['guard window too short', { TRAFFIC_GUARD_WINDOW_SECONDS: '5' }, /^ {2}TRAFFIC_GUARD_WINDOW_SECONDS: /m],
  ['guard min samples zero', { TRAFFIC_GUARD_MIN_SAMPLES: '0' }, /^ {2}TRAFFIC_GUARD_MIN_SAMPLES: /m],
  ['latency ratio below 1', { TRAFFIC_GUARD_MAX_LATENCY_RATIO: '0.5' }, /^ {2}TRAFFIC_GUARD_MAX_LATENCY_RATIO: /m],
  ['latency ratio not a number', { TRAFFIC_GUARD_MAX_LATENCY_RATIO: 'fast' }, /^ {2}TRAFFIC_GUARD_MAX_LATENCY_RATIO: must be a number/m],
  ['error percent above 100', { TRAFFIC_GUARD_MAX_ERROR_PERCENT: '200' }, /^ {2}TRAFFIC_GUARD_MAX_ERROR_PERCENT: /m],
  ['shadow in-flight zero', { TRAFFIC_SHADOW_MAX_IN_FLIGHT: '0' }, /^ {2}TRAFFIC_SHADOW_MAX_IN_FLIGHT: /m],
  ['outbox interval not a number', { OUTBOX_REPAIR_INTERVAL_MS: '1s' }, /^ {2}OUTBOX_REPAIR_INTERVAL_MS: /m],
]

t.test('each bad traffic value is a ConfigError naming its variable', async (t) => {
  for (const [label, env, line] of BAD) t.match(rejection(env), line, label)
})

t.test('GREEN_STORE_URL is validated like STORE_URL and never echoed', async (t) => {
  const message = rejection({ GREEN_STORE_URL: 'mysql://root:green-s3cret@db/x' })
  t.match(message, /^ {2}GREEN_STORE_URL: must be postgres/m)
  t.notOk(message.includes('green-s3cret'))
})

t.test('a stage other than off needs GREEN_STORE_URL', async (t) => {
  for (const stage of ['dualwrite', 'shadow', 'live', 'rampdown']) {
    t.match(rejection({ TRAFFIC_STAGE: stage }), new RegExp(`TRAFFIC_STAGE: \\[stage-needs-green\\] stage ${stage} needs GREEN_STORE_URL`), stage)
  }
})

t.test('an invalid combination at start names the rule, one line per problem', async (t) => {
  const message = rejection({ ...GREEN, TRAFFIC_STAGE: 'live', TRAFFIC_GREEN_READ_PERCENT: '10', TRAFFIC_GREEN_WRITE_PERCENT: '50' })
  t.match(message, /^ {2}TRAFFIC_GREEN_WRITE_PERCENT: \[write-within-read\] TRAFFIC_GREEN_WRITE_PERCENT \(50\) must not exceed TRAFFIC_GREEN_READ_PERCENT \(10\)/m)
  const several = rejection({ ...GREEN, TRAFFIC_STAGE: 'complete', TRAFFIC_GREEN_READ_PERCENT: '50', TRAFFIC_GREEN_WRITE_PERCENT: '50' })
  t.match(several, /^ {2}TRAFFIC_STAGE: \[complete-needs-allow\]/m)
  t.match(several, /^ {2}TRAFFIC_STAGE: \[complete-is-all-green\]/m)
  t.equal(several.split('\n').length, 3, 'a heading and one line per problem')
  t.match(rejection({ ...GREEN, TRAFFIC_STAGE: 'shadow', TRAFFIC_DUAL_WRITE: 'false' }), /\[stage-needs-dual-write\][^\n]*\n[^\n]*\[shadow-needs-dual-write\]/)
  t.match(rejection({ TRAFFIC_DUAL_WRITE: 'true' }), /\[off-sends-nothing\]/)
})

t.test('serve exits 2 on an invalid traffic combination', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: root, encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env.PATH ?? '', STORE_URL: 'memory://', GREEN_STORE_URL: 'memory://', TRAFFIC_STAGE: 'shadow', TRAFFIC_GREEN_READ_PERCENT: '20' },
  })
  t.equal(res.status, 2)
  t.match(res.stderr, /TRAFFIC_STAGE: \[green-serving-needs-live\] TRAFFIC_STAGE \(shadow\)/)
  t.notMatch(res.stderr, /\n\s+at /, 'no stack trace')
})
