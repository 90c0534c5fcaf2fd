/**
 * The traffic settings in force: the environment's TRAFFIC_* values, overridden by those in
 * TRAFFIC_CONFIG_FILE, re-read while the service runs. The file is polled by content rather than
 * watched: Kubernetes updates a mounted ConfigMap by swapping a `..data` symlink, which fs.watch
 * on the file itself misses. A bad file never replaces the last good settings.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { ConfigError } from '../config/load-config.js'
import type { TrafficSettings } from './stages.js'
import { parseTrafficFile, resolveTrafficSettings, type RawTrafficValues } from './traffic-config.js'

export interface ConfiguredTraffic {
  settings: TrafficSettings
  /** `file` once a TRAFFIC_CONFIG_FILE has been loaded (even one that sets nothing). */
  source: 'env' | 'file'
  /** First 16 hex chars of the sha256 of the canonical settings JSON. */
  fingerprint: string
  loadedAt: number
}

export interface TrafficRejection {
  at: number
  errors: string[]
}

/** The subset of a pino/fastify logger used here. */
export interface TrafficLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface TrafficConfigSourceOptions {
  env: RawTrafficValues
  filePath?: string | undefined
  pollMs: number
  log: TrafficLog
  now?: () => number
}

export type TrafficListener = (next: ConfiguredTraffic, previous: ConfiguredTraffic) => void

const SETTINGS_KEYS = [
  'stage', 'greenReadPercent', 'greenWritePercent', 'dualWrite', 'shadowReadPercent', 'routingKey', 'routingSalt', 'allowComplete',
] as const satisfies readonly (keyof TrafficSettings)[]

/** Fingerprint of settings: key order fixed, so equal settings always give the same value. */
export function fingerprintSettings(settings: TrafficSettings): string {
  const canonical = JSON.stringify(Object.fromEntries(SETTINGS_KEYS.map((k) => [k, settings[k]])))
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16)
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

export class TrafficConfigSource {
  private readonly env: RawTrafficValues
  private readonly filePath: string | undefined
  private readonly pollMs: number
  private readonly log: TrafficLog
  private readonly now: () => number
  private readonly listeners = new Set<TrafficListener>()
  private configured: ConfiguredTraffic
  private rejection: TrafficRejection | null = null
  /** Hash of the file text in force, and of the last bad text or read error (warned once each). */
  private goodHash: string | null = null
  private badKey: string | null = null
  private timer: NodeJS.Timeout | null = null
  private started = false
  private polling: Promise<void> | null = null

  constructor(options: TrafficConfigSourceOptions) {
    this.env = options.env
    this.filePath = options.filePath
    this.pollMs = options.pollMs
    this.log = options.log
    this.now = options.now ?? Date.now
    const resolved = resolveTrafficSettings(this.env)
    if (!resolved.ok) throw configError('TRAFFIC', resolved.errors)
    this.configured = this.configuredFrom(resolved.settings, 'env')
  }

  current(): ConfiguredTraffic {
    return this.configured
  }

  /** The rejection of the file currently on disk; null once a good file is read again. */
  lastRejection(): TrafficRejection | null {
    return this.rejection
  }

  /** Called after each change of the settings in force; returns an unsubscribe function. */
  onChange(listener: TrafficListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Load the file (synchronously: start-up must not go on with half a config), then poll it.
   * Throws ConfigError when the file is set but missing, unreadable or invalid.
   */
  start(): void {
    if (this.started) return
    this.started = true
    if (this.filePath !== undefined) {
      let text: string
      try {
        text = readFileSync(this.filePath, 'utf8')
      } catch (err) {
        throw configError('TRAFFIC_CONFIG_FILE', [`cannot read ${this.filePath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`])
      }
      const resolved = this.resolveText(text)
      if (!resolved.ok) throw configError('TRAFFIC_CONFIG_FILE', resolved.errors)
      this.goodHash = sha256(text)
      this.configured = this.configuredFrom(resolved.settings, 'file')
      this.log.info(
        { traffic: this.configured.settings, fingerprint: this.configured.fingerprint, file: this.filePath },
        `traffic config loaded from ${this.filePath} (fingerprint ${this.configured.fingerprint})`,
      )
      this.timer = setInterval(() => void this.reload(), this.pollMs)
      this.timer.unref()
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.started = false
  }

  /** Re-read the file now (no overlap with a running poll). Never rejects. */
  reload(): Promise<void> {
    if (this.filePath === undefined) return Promise.resolve()
    this.polling ??= this.poll(this.filePath).finally(() => {
      this.polling = null
    })
    return this.polling
  }

  private async poll(path: string): Promise<void> {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      this.reject(`unreadable:${code}`, [`cannot read ${path}: ${code}`])
      return
    }
    const hash = sha256(text)
    if (hash === this.goodHash) {
      this.clearRejection() // back to the content in force
      return
    }
    if (hash === this.badKey) return
    const resolved = this.resolveText(text)
    if (!resolved.ok) {
      this.reject(hash, resolved.errors)
      return
    }
    const refused = transitionErrors(this.configured.settings, resolved.settings)
    if (refused.length > 0) {
      this.reject(hash, refused)
      return
    }
    this.goodHash = hash
    this.clearRejection()
    const previous = this.configured
    const fingerprint = fingerprintSettings(resolved.settings)
    if (fingerprint === previous.fingerprint) return // reformatted, same settings
    this.configured = this.configuredFrom(resolved.settings, 'file')
    const changed = describeChanges(previous.settings, resolved.settings)
    this.log.info(
      { traffic: resolved.settings, changed, fingerprint, previousFingerprint: previous.fingerprint, file: path },
      `traffic config reloaded from ${path}: ${changed.join(', ')} (fingerprint ${fingerprint})`,
    )
    for (const listener of this.listeners) {
      try {
        listener(this.configured, previous)
      } catch (err) {
        this.log.error({ err }, 'traffic config listener failed')
      }
    }
  }

  /** Parse a file's text and resolve it over the environment's values. */
  private resolveText(text: string) {
    const parsed = parseTrafficFile(text, this.filePath ?? 'TRAFFIC_CONFIG_FILE')
    if (!parsed.ok) return parsed
    return resolveTrafficSettings({ ...this.env, ...parsed.values })
  }

  private reject(key: string, errors: string[]): void {
    if (key === this.badKey) return // already rejected and warned about
    this.badKey = key
    this.rejection = { at: this.now(), errors }
    this.log.warn(
      { errors, file: this.filePath, fingerprint: this.configured.fingerprint },
      `traffic config file rejected, keeping fingerprint ${this.configured.fingerprint}: ${errors.join('; ')}`,
    )
  }

  private clearRejection(): void {
    this.rejection = null
    this.badKey = null
  }

  private configuredFrom(settings: TrafficSettings, source: 'env' | 'file'): ConfiguredTraffic {
    return { settings, source, fingerprint: fingerprintSettings(settings), loadedAt: this.now() }
  }
}

/**
 * Rules on a live change (a restart with new env values is the deliberate way around them):
 * - `complete-is-final`: blue stopped receiving writes in `complete`, so moving back would serve
 *   and extend a blue that misses them; going back needs a reverse backfill and a restart.
 * - `dualwrite-before-green`: from `off` (green received nothing) straight to a stage that reads
 *   or compares green would serve a green missing every write since; go through `dualwrite` and a
 *   backfill first.
 */
export function transitionErrors(from: TrafficSettings, to: TrafficSettings): string[] {
  const errors: string[] = []
  if (from.stage === 'complete' && to.stage !== 'complete') {
    errors.push(`[complete-is-final] cannot go from complete back to ${to.stage} by a live change: blue has not received writes since complete`)
  }
  if (from.stage === 'off' && to.stage !== 'off' && to.stage !== 'dualwrite') {
    errors.push(`[dualwrite-before-green] cannot go from off straight to ${to.stage}: turn on dualwrite and run a backfill first`)
  }
  return errors
}

/** `greenReadPercent 10→50`; the salt's values are left out (changing it reshuffles buckets). */
function describeChanges(before: TrafficSettings, after: TrafficSettings): string[] {
  return SETTINGS_KEYS.filter((k) => before[k] !== after[k]).map((k) =>
    k === 'routingSalt' ? 'routingSalt changed' : `${k} ${String(before[k])}→${String(after[k])}`,
  )
}

function configError(label: string, errors: string[]): ConfigError {
  return new ConfigError(`invalid configuration:\n  ${errors.map((e) => `${label}: ${e}`).join('\n  ')}`)
}
