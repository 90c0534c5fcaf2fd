/**
 * The emergency kill switch (design §7): an operator sets one Redis key, e.g.
 * `SET mcpmem:traffic:kill-switch blue`, and every instance caps its traffic within a poll. It only
 * ever reports a cap; the controller lowers the configured settings with `towardBlue`, which
 * cannot raise traffic, so a wrong or unreadable value can never send green more than configured.
 */
import type { Redis } from 'ioredis'
import type { Stage } from './stages.js'
import type { TrafficLog } from './traffic-config-source.js'

export interface KillSwitchOptions {
  /** Owned by the caller (connect, quit). Give it a commandTimeout so a hung GET surfaces as an error. */
  redis: Redis
  key: string
  pollMs: number
  log: TrafficLog
}

export type KillSwitchListener = (cap: Stage | null, previous: Stage | null) => void

/** Values that cap traffic; `complete` is absent on purpose (it is not a step toward blue). */
const CAPS: Readonly<Record<string, Stage>> = {
  blue: 'dualwrite', // green keeps receiving writes, so lifting the switch needs no backfill
  // Not 'off': that would stop dual-write, and lifting the switch would then send traffic back to a
  // green that missed every write in between. To stop writing green, change the stage instead.
  off: 'dualwrite',
  dualwrite: 'dualwrite',
  shadow: 'shadow',
  live: 'live',
  rampdown: 'rampdown',
}

export class KillSwitch {
  private readonly redis: Redis
  private readonly key: string
  private readonly pollMs: number
  private readonly log: TrafficLog
  private readonly listeners = new Set<KillSwitchListener>()
  private current: Stage | null = null
  private timer: NodeJS.Timeout | null = null
  private polling: Promise<void> | null = null
  /** The last unknown value warned about, and whether Redis is failing (each logged once). */
  private warnedValue: string | null = null
  private failing = false
  private everRead = false

  constructor(options: KillSwitchOptions) {
    this.redis = options.redis
    this.key = options.key
    this.pollMs = options.pollMs
    this.log = options.log
  }

  /** The stage traffic is capped at, or null when the switch is not set. */
  cap(): Stage | null {
    return this.current
  }

  onChange(listener: KillSwitchListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Poll now and every pollMs. The returned first poll never rejects; awaiting it is optional. */
  start(): Promise<void> {
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs)
      this.timer.unref()
    }
    return this.poll()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** Read the key once (joining a poll already running, so GETs never pile up). Never rejects. */
  poll(): Promise<void> {
    this.polling ??= this.read().finally(() => {
      this.polling = null
    })
    return this.polling
  }

  private async read(): Promise<void> {
    let raw: string | null
    try {
      raw = await this.redis.get(this.key)
    } catch (err) {
      // Keep the last known cap: an outage must neither lift an engaged switch nor engage one.
      // Before the first successful read there is no known value: assume the switch is set
      // (a replica starting during a Redis outage must not ignore an engaged switch).
      if (!this.everRead && this.current === null) this.set(CAPS.blue!)
      if (!this.failing) {
        this.failing = true
        this.log.error({ err, key: this.key, cap: this.current }, `kill switch unreadable, keeping cap ${this.current ?? 'none'}`)
      }
      return
    }
    this.everRead = true
    if (this.failing) {
      this.failing = false
      this.log.info({ key: this.key }, 'kill switch readable again')
    }
    this.set(this.parse(raw))
  }

  /**
   * An unknown non-empty value (a typo such as `bleu`, or `complete`) caps like `blue`: somebody set
   * the emergency key, and guessing that they meant "no cap" would be the unsafe reading.
   */
  private parse(raw: string | null): Stage | null {
    const value = (raw ?? '').trim().toLowerCase()
    if (value === '') return null
    const cap = CAPS[value]
    if (cap !== undefined) {
      this.warnedValue = null // a later bad value is news again
      return cap
    }
    if (this.warnedValue !== value) {
      this.warnedValue = value
      this.log.warn(
        { key: this.key, value: value.slice(0, 64) },
        `kill switch ${this.key} has an unknown value, read as blue (use blue, off, dualwrite, shadow, live or rampdown)`,
      )
    }
    return CAPS.blue!
  }

  private set(cap: Stage | null): void {
    const previous = this.current
    if (cap === previous) return
    this.current = cap
    if (cap) this.log.warn({ key: this.key, cap, previous }, `kill switch engaged: traffic capped at stage ${cap}`)
    else this.log.info({ key: this.key, previous }, 'kill switch released')
    for (const listener of this.listeners) {
      try {
        listener(cap, previous)
      } catch (err) {
        this.log.error({ err }, 'kill switch listener failed')
      }
    }
  }
}
