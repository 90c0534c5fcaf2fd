/**
 * TrafficController (design §7): the effective settings are the configured ones lowered by the kill
 * switch and the guard's latch, never raised; a guard failure steps back one stage and latches until
 * the configuration changes. Fake config source and kill switch, a real guard on a test clock.
 */
import t, { type Test } from 'tap'
import type { Stage, TrafficSettings } from '../../src/traffic/stages.js'
import { fingerprintSettings, type ConfiguredTraffic, type TrafficLog } from '../../src/traffic/traffic-config-source.js'
import { TrafficController, type ConfigSource, type StageCap } from '../../src/traffic/traffic-controller.js'
import { TrafficGuard } from '../../src/traffic/traffic-guard.js'
import { createClock } from '../conformance/suite-kit.js'
import { settingsFor } from '../helpers/traffic.js'


const silent: TrafficLog = { info() {}, warn() {}, error() {} }

class FakeSource implements ConfigSource {
  private configured: ConfiguredTraffic
  private readonly listeners = new Set<(next: ConfiguredTraffic, previous: ConfiguredTraffic) => void>()

  constructor(settings: TrafficSettings) {
    this.configured = FakeSource.configuredOf(settings)
  }

  static configuredOf(settings: TrafficSettings): ConfiguredTraffic {
    return { settings, source: 'file', fingerprint: fingerprintSettings(settings), loadedAt: 0 }
  }

  current(): ConfiguredTraffic {
    return this.configured
  }

  lastRejection() {
    return null
  }

  onChange(listener: (next: ConfiguredTraffic, previous: ConfiguredTraffic) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Load `settings` and tell the listeners (even when the fingerprint is unchanged, as a re-read would). */
  set(settings: TrafficSettings): void {
    const previous = this.configured
    this.configured = { ...FakeSource.configuredOf(settings), loadedAt: previous.loadedAt + 1 }
    for (const listener of this.listeners) listener(this.configured, previous)
  }
}

class FakeKillSwitch implements StageCap {
  private current: Stage | null = null
  private readonly listeners = new Set<(cap: Stage | null, previous: Stage | null) => void>()

  cap(): Stage | null {
    return this.current
  }

  onChange(listener: (cap: Stage | null, previous: Stage | null) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  set(cap: Stage | null): void {
    const previous = this.current
    this.current = cap
    for (const listener of this.listeners) listener(cap, previous)
  }
}

function setup(t: Test, configured: TrafficSettings) {
  const clock = createClock(1_700_000_000_000)
  const guard = new TrafficGuard(
    { windowMs: 60_000, minSamples: 5, maxErrorRatio: 0.1, maxLatencyRatio: 10, maxMismatchRatio: 0.5 },
    clock.now,
  )
  const source = new FakeSource(configured)
  const killSwitch = new FakeKillSwitch()
  const rollbacks: string[] = []
  const effective: TrafficSettings[] = []
  const controller = new TrafficController({
    source,
    killSwitch,
    guard,
    evaluateEveryMs: 60_000,
    log: silent,
    onRollback: (reason) => rollbacks.push(reason),
    onEffective: (settings) => effective.push(settings),
    now: clock.now,
  })
  t.teardown(() => controller.stop())
  /** Ten green operations, all failed (error ratio 1). */
  const failGreen = () => {
    for (let i = 0; i < 10; i++) guard.recordOperation('green', 5, true)
  }
  /** Ten healthy operations on each side. */
  const healthy = () => {
    for (let i = 0; i < 10; i++) {
      guard.recordOperation('blue', 5, false)
      guard.recordOperation('green', 5, false)
    }
  }
  return { clock, guard, source, killSwitch, controller, rollbacks, effective, failGreen, healthy }
}

t.test('a guard failure in live steps back to shadow and latches until the configuration changes', async (t) => {
  const live = settingsFor('live')
  const c = setup(t, live)
  t.strictSame(c.controller.settings(), live, 'starts at the configured settings')

  c.failGreen()
  const evaluation = c.controller.evaluate()
  t.equal(evaluation.outcome, 'fail')
  t.strictSame(evaluation.reasons, ['error_ratio'])
  const stepped = c.controller.settings()
  t.equal(stepped.stage, 'shadow', 'stepped back to shadow')
  t.equal(stepped.greenReadPercent, 0, 'green serves no reads')
  t.equal(stepped.greenWritePercent, 0, 'green is no write primary')
  t.equal(stepped.shadowReadPercent, live.shadowReadPercent, 'shadow share not raised above the configured one')
  t.equal(stepped.dualWrite, true, 'dual-write kept')
  t.strictSame(c.rollbacks, ['error_ratio'], 'onRollback told the reason')
  t.strictSame(c.controller.state().guardLatch, { stage: 'shadow', reasons: ['error_ratio'], at: c.clock.now() })
  t.strictSame(c.controller.state().effective, stepped)
  t.strictSame(c.controller.state().configured.settings, live, 'the configured settings are unchanged')

  c.clock.advance(1_000)
  c.healthy()
  t.equal(c.controller.evaluate().outcome, 'pass', 'green looks healthy again')
  t.equal(c.controller.settings().stage, 'shadow', 'the latch holds while the guard passes')
  t.strictSame(c.rollbacks, ['error_ratio'])

  c.source.set(live)
  t.equal(c.controller.settings().stage, 'shadow', 'a re-read of the same configuration (same fingerprint) keeps the latch')
  t.not(c.controller.state().guardLatch, null)

  const changed = settingsFor('live', { shadowReadPercent: 20 })
  c.source.set(changed)
  t.strictSame(c.controller.settings(), changed, 'a new configuration releases the latch')
  t.equal(c.controller.state().guardLatch, null)
  t.equal(c.controller.evaluate().outcome, 'hold', "the guard's window was forgotten with the old configuration")
  t.strictSame(c.rollbacks, ['error_ratio'], 'releasing is not a rollback')
})

t.test('a second failure steps from shadow to dualwrite, and dualwrite never steps further', async (t) => {
  const c = setup(t, settingsFor('live'))
  c.failGreen()
  c.controller.evaluate()
  t.equal(c.controller.settings().stage, 'shadow')

  c.clock.advance(1_000)
  c.failGreen()
  t.equal(c.controller.evaluate().outcome, 'fail')
  const dual = c.controller.settings()
  t.equal(dual.stage, 'dualwrite', 'stepped back again from the latched stage')
  t.equal(dual.shadowReadPercent, 0, 'no more shadow reads')
  t.equal(dual.greenReadPercent, 0)
  t.equal(dual.greenWritePercent, 0)
  t.equal(dual.dualWrite, true, 'green keeps receiving writes')
  t.strictSame(c.rollbacks, ['error_ratio', 'error_ratio'])
  t.equal(c.controller.state().guardLatch?.stage, 'dualwrite')

  c.clock.advance(1_000)
  c.failGreen()
  t.equal(c.controller.evaluate().outcome, 'fail')
  t.strictSame(c.controller.settings(), dual, 'dualwrite is as far back as the guard goes')
  t.strictSame(c.rollbacks, ['error_ratio', 'error_ratio'], 'no rollback counted when nothing moved')

  const configuredDual = settingsFor('dualwrite')
  const d = setup(t, configuredDual)
  d.failGreen()
  t.equal(d.controller.evaluate().outcome, 'fail')
  t.strictSame(d.controller.settings(), configuredDual, 'configured dualwrite stays dualwrite')
  t.equal(d.controller.state().guardLatch, null, 'and nothing latches')
  t.strictSame(d.rollbacks, [])
})

t.test('the kill switch lowers live to dualwrite and clearing it restores the configuration', async (t) => {
  const live = settingsFor('live')
  const c = setup(t, live)
  c.killSwitch.set('dualwrite')
  const capped = c.controller.settings()
  t.equal(capped.stage, 'dualwrite')
  t.equal(capped.greenReadPercent, 0, 'read 0')
  t.equal(capped.greenWritePercent, 0, 'write 0')
  t.equal(capped.shadowReadPercent, 0)
  t.equal(capped.dualWrite, true)
  t.strictSame(c.rollbacks, ['kill_switch'])
  t.equal(c.controller.state().killSwitchCap, 'dualwrite')

  c.killSwitch.set(null)
  t.strictSame(c.controller.settings(), live, 'cleared: back to the configured settings')
  t.strictSame(c.rollbacks, ['kill_switch'], 'clearing is not a rollback')

  c.killSwitch.set('off')
  const off = c.controller.settings()
  t.equal(off.stage, 'off')
  t.equal(off.dualWrite, false, 'cap off stops mirroring too')
  t.equal(off.shadowReadPercent, 0)
  t.strictSame(c.rollbacks, ['kill_switch', 'kill_switch'])
  c.killSwitch.set(null)
  t.strictSame(c.controller.settings(), live)
})

t.test('clearing the kill switch does not lift the guard latch', async (t) => {
  const c = setup(t, settingsFor('live'))
  c.failGreen()
  c.controller.evaluate()
  t.equal(c.controller.settings().stage, 'shadow')
  c.killSwitch.set('dualwrite')
  t.equal(c.controller.settings().stage, 'dualwrite')
  c.killSwitch.set(null)
  t.equal(c.controller.settings().stage, 'shadow', 'the latch still holds')
  t.strictSame(c.rollbacks, ['error_ratio', 'kill_switch'])
})

t.test('the kill switch never raises traffic', async (t) => {
  const shadow = settingsFor('shadow')
  const c = setup(t, shadow)
  c.killSwitch.set('rampdown')
  t.strictSame(c.controller.settings(), shadow, 'cap rampdown over configured shadow leaves shadow')
  c.killSwitch.set('live')
  t.strictSame(c.controller.settings(), shadow, 'cap live over configured shadow leaves shadow')
  t.strictSame(c.rollbacks, [])
  t.strictSame(c.effective, [], 'nothing changed')

  const partial = settingsFor('live', { greenReadPercent: 30, greenWritePercent: 10, shadowReadPercent: 5 })
  const p = setup(t, partial)
  p.killSwitch.set('rampdown')
  t.strictSame(p.controller.settings(), partial, 'a later-stage cap never raises the dials of a partial ramp')
})

t.test('complete is never lowered', async (t) => {
  const complete = settingsFor('complete')
  const c = setup(t, complete)
  c.killSwitch.set('dualwrite')
  t.strictSame(c.controller.settings(), complete, 'the kill switch leaves complete')
  c.failGreen()
  t.equal(c.controller.evaluate().outcome, 'fail')
  t.strictSame(c.controller.settings(), complete, 'a guard failure leaves complete')
  t.equal(c.controller.state().guardLatch, null)
  t.strictSame(c.rollbacks, [])
  t.strictSame(c.effective, [])
})

t.test('onEffective fires only on real changes', async (t) => {
  const live = settingsFor('live')
  const c = setup(t, live)
  c.killSwitch.set('rampdown')
  c.killSwitch.set('live')
  c.source.set(live)
  c.healthy()
  t.equal(c.controller.evaluate().outcome, 'pass')
  t.strictSame(c.effective, [], 'caps at or above the stage, a same-settings reload and a passing guard change nothing')

  c.killSwitch.set('shadow')
  t.equal(c.effective.length, 1)
  t.equal(c.effective[0]?.stage, 'shadow')
  c.killSwitch.set('shadow')
  t.equal(c.effective.length, 1, 'the same cap again changes nothing')
  c.killSwitch.set('dualwrite')
  t.equal(c.effective.length, 2)
  t.strictSame(c.effective[1], c.controller.settings())

  c.killSwitch.set(null)
  t.equal(c.effective.length, 3)
  t.strictSame(c.effective[2], live)

  const changed = settingsFor('live', { shadowReadPercent: 25 })
  c.source.set(changed)
  t.equal(c.effective.length, 4)
  t.strictSame(c.effective[3], changed)
})
