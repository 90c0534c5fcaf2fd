/**
 * The TRAFFIC_* dials (design §7): resolving a stage preset plus explicit refinements into
 * `TrafficSettings`, checking the invariants that keep a rollback lossless, and parsing the same
 * names from a JSON/YAML file (a ConfigMap) for live reload. Pure: no I/O.
 */
import { parse as parseYaml } from 'yaml'
import { STAGES, STAGE_PRESETS, type RoutingKey, type Stage, type TrafficSettings } from './stages.js'

/** The dial and routing values as configured: unset dials fall back to the stage preset. */
export interface RawTrafficValues {
  stage: Stage
  greenReadPercent?: number | undefined
  greenWritePercent?: number | undefined
  dualWrite?: boolean | undefined
  shadowReadPercent?: number | undefined
  routingKey: RoutingKey
  routingSalt: string
  allowComplete: boolean
}

export type TrafficResolution = { ok: true; settings: TrafficSettings } | { ok: false; errors: string[] }

/** Values from a traffic file: any subset, each overriding the environment's. */
export type TrafficFileValues = Partial<RawTrafficValues>
export type TrafficFileResult = { ok: true; values: TrafficFileValues } | { ok: false; errors: string[] }

/** The parsed-config fields `trafficValuesFromConfig` reads (`Config` has them all). */
export interface TrafficConfigFields {
  TRAFFIC_STAGE: Stage
  TRAFFIC_GREEN_READ_PERCENT?: number | undefined
  TRAFFIC_GREEN_WRITE_PERCENT?: number | undefined
  TRAFFIC_DUAL_WRITE?: boolean | undefined
  TRAFFIC_SHADOW_READ_PERCENT?: number | undefined
  TRAFFIC_ROUTING_KEY: RoutingKey
  TRAFFIC_ROUTING_SALT: string
  TRAFFIC_ALLOW_COMPLETE: boolean
}

export const ROUTING_KEYS: readonly RoutingKey[] = ['tool', 'id']
const GREEN_SERVING_STAGES: readonly Stage[] = ['live', 'rampdown', 'complete']
const DUAL_WRITE_STAGES: readonly Stage[] = ['dualwrite', 'shadow', 'live', 'rampdown']

export function trafficValuesFromConfig(config: TrafficConfigFields): RawTrafficValues {
  return {
    stage: config.TRAFFIC_STAGE,
    greenReadPercent: config.TRAFFIC_GREEN_READ_PERCENT,
    greenWritePercent: config.TRAFFIC_GREEN_WRITE_PERCENT,
    dualWrite: config.TRAFFIC_DUAL_WRITE,
    shadowReadPercent: config.TRAFFIC_SHADOW_READ_PERCENT,
    routingKey: config.TRAFFIC_ROUTING_KEY,
    routingSalt: config.TRAFFIC_ROUTING_SALT,
    allowComplete: config.TRAFFIC_ALLOW_COMPLETE,
  }
}

/**
 * The stage preset refined by the explicit values, if it passes every invariant. All violated
 * rules are reported (an operator fixing one at a time would need a deploy per rule).
 */
export function resolveTrafficSettings(raw: RawTrafficValues): TrafficResolution {
  const preset = STAGE_PRESETS[raw.stage]
  if (!preset) return { ok: false, errors: [`[stage-known] TRAFFIC_STAGE must be one of ${STAGES.join(', ')}`] }
  const s: TrafficSettings = {
    stage: raw.stage,
    greenReadPercent: raw.greenReadPercent ?? preset.greenReadPercent,
    greenWritePercent: raw.greenWritePercent ?? preset.greenWritePercent,
    dualWrite: raw.dualWrite ?? preset.dualWrite,
    shadowReadPercent: raw.shadowReadPercent ?? preset.shadowReadPercent,
    routingKey: raw.routingKey,
    routingSalt: raw.routingSalt,
    allowComplete: raw.allowComplete,
  }
  const errors = [...shapeErrors(s), ...ruleErrors(s)]
  return errors.length === 0 ? { ok: true, settings: s } : { ok: false, errors }
}

/** Ranges, for values that did not come through the env schema or the file parser. */
function shapeErrors(s: TrafficSettings): string[] {
  const errors: string[] = []
  const percents = [
    ['TRAFFIC_GREEN_READ_PERCENT', s.greenReadPercent],
    ['TRAFFIC_GREEN_WRITE_PERCENT', s.greenWritePercent],
    ['TRAFFIC_SHADOW_READ_PERCENT', s.shadowReadPercent],
  ] as const
  for (const [name, v] of percents) {
    if (!Number.isInteger(v) || v < 0 || v > 100) errors.push(`[percent-range] ${name} (${v}) must be a whole number from 0 to 100`)
  }
  if (!ROUTING_KEYS.includes(s.routingKey)) errors.push(`[routing-key] TRAFFIC_ROUTING_KEY must be one of ${ROUTING_KEYS.join(', ')}`)
  if (typeof s.routingSalt !== 'string' || s.routingSalt.length < 1 || s.routingSalt.length > 128) {
    errors.push('[routing-salt] TRAFFIC_ROUTING_SALT must be 1 to 128 characters')
  }
  return errors
}

function ruleErrors(s: TrafficSettings): string[] {
  const errors: string[] = []
  const read = s.greenReadPercent
  const write = s.greenWritePercent
  const shadow = s.shadowReadPercent
  const dual = `TRAFFIC_DUAL_WRITE (${s.dualWrite})`
  if (write > read) {
    errors.push(
      `[write-within-read] TRAFFIC_GREEN_WRITE_PERCENT (${write}) must not exceed TRAFFIC_GREEN_READ_PERCENT (${read}): green must never be the write primary for buckets still read from blue`,
    )
  }
  if ((read > 0 || write > 0) && !GREEN_SERVING_STAGES.includes(s.stage)) {
    errors.push(
      `[green-serving-needs-live] TRAFFIC_STAGE (${s.stage}) does not let green serve: TRAFFIC_GREEN_READ_PERCENT (${read}) and TRAFFIC_GREEN_WRITE_PERCENT (${write}) must be 0 before stage ${GREEN_SERVING_STAGES.join(', ')}`,
    )
  }
  if (s.stage === 'off' && (read > 0 || write > 0 || shadow > 0 || s.dualWrite)) {
    errors.push(
      `[off-sends-nothing] TRAFFIC_STAGE (off) sends green nothing, but TRAFFIC_GREEN_READ_PERCENT (${read}), TRAFFIC_GREEN_WRITE_PERCENT (${write}), TRAFFIC_SHADOW_READ_PERCENT (${shadow}), ${dual} ask for traffic: use stage dualwrite (or later) to send green traffic`,
    )
  }
  if (DUAL_WRITE_STAGES.includes(s.stage) && !s.dualWrite) {
    errors.push(
      `[stage-needs-dual-write] TRAFFIC_STAGE (${s.stage}) requires TRAFFIC_DUAL_WRITE=true, got ${dual}: blue must receive every write until complete, so a rollback loses nothing`,
    )
  }
  if (shadow > 0 && !s.dualWrite) {
    errors.push(
      `[shadow-needs-dual-write] TRAFFIC_SHADOW_READ_PERCENT (${shadow}) requires TRAFFIC_DUAL_WRITE=true, got ${dual}: a side not receiving writes would make every shadow compare a mismatch`,
    )
  }
  if (s.stage === 'complete' && !s.allowComplete) {
    errors.push(
      `[complete-needs-allow] TRAFFIC_STAGE (complete) requires TRAFFIC_ALLOW_COMPLETE=true, got TRAFFIC_ALLOW_COMPLETE (${s.allowComplete}): blue stops receiving writes, so rollback is no longer a config flip`,
    )
  }
  if (s.stage === 'complete' && (read !== 100 || write !== 100)) {
    errors.push(
      `[complete-is-all-green] TRAFFIC_STAGE (complete) requires TRAFFIC_GREEN_READ_PERCENT (${read}) and TRAFFIC_GREEN_WRITE_PERCENT (${write}) to be 100: blue no longer has every write`,
    )
  }
  return errors
}

/** File key → field and how to read its value (strings as a ConfigMap holds them, or typed). */
const FILE_KEYS = {
  TRAFFIC_STAGE: ['stage', (v: unknown) => oneOf(v, STAGES)],
  TRAFFIC_GREEN_READ_PERCENT: ['greenReadPercent', (v: unknown) => percent(v)],
  TRAFFIC_GREEN_WRITE_PERCENT: ['greenWritePercent', (v: unknown) => percent(v)],
  TRAFFIC_SHADOW_READ_PERCENT: ['shadowReadPercent', (v: unknown) => percent(v)],
  TRAFFIC_DUAL_WRITE: ['dualWrite', (v: unknown) => boolean(v)],
  TRAFFIC_ALLOW_COMPLETE: ['allowComplete', (v: unknown) => boolean(v)],
  TRAFFIC_ROUTING_KEY: ['routingKey', (v: unknown) => oneOf(v, ROUTING_KEYS)],
  TRAFFIC_ROUTING_SALT: ['routingSalt', (v: unknown) => salt(v)],
} as const satisfies Record<string, readonly [keyof RawTrafficValues, (v: unknown) => Parsed]>
export const TRAFFIC_FILE_KEYS = Object.keys(FILE_KEYS) as (keyof typeof FILE_KEYS)[]

type Parsed = { value: unknown } | { error: string }

/**
 * The TRAFFIC_* values in a file's text: JSON when it starts with `{`, YAML otherwise. A top-level
 * mapping of the TRAFFIC_* names; unknown keys are rejected by name, since a typo would otherwise
 * silently leave the old value in force. Empty strings and nulls count as unset, as in the env.
 */
export function parseTrafficFile(text: string, path: string): TrafficFileResult {
  let doc: unknown
  try {
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const first = ((err as Error).message.split('\n')[0] ?? '').trim()
    return { ok: false, errors: [`${path}: not valid ${text.trimStart().startsWith('{') ? 'JSON' : 'YAML'}: ${first}`] }
  }
  if (doc === null || doc === undefined) return { ok: true, values: {} } // an empty file sets nothing
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, errors: [`${path}: must be a mapping of TRAFFIC_* names to values`] }
  }
  const values: Record<string, unknown> = {}
  const errors: string[] = []
  for (const [key, raw] of Object.entries(doc)) {
    if (!Object.hasOwn(FILE_KEYS, key)) {
      errors.push(`${path}: unknown key ${key} (allowed: ${TRAFFIC_FILE_KEYS.join(', ')})`)
      continue
    }
    if (raw === null || raw === '') continue
    const [field, read] = FILE_KEYS[key as keyof typeof FILE_KEYS]
    const parsed = read(raw)
    if ('error' in parsed) errors.push(`${path}: ${key}: ${parsed.error}`)
    else values[field] = parsed.value
  }
  return errors.length === 0 ? { ok: true, values: values as TrafficFileValues } : { ok: false, errors }
}

function percent(v: unknown): Parsed {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 100) return { value: n }
  return { error: 'must be a whole number from 0 to 100' }
}

function boolean(v: unknown): Parsed {
  if (typeof v === 'boolean') return { value: v }
  const s = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : ''
  if (['true', '1', 'yes'].includes(s)) return { value: true }
  if (['false', '0', 'no'].includes(s)) return { value: false }
  return { error: 'must be true or false' }
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[]): Parsed {
  const s = typeof v === 'string' ? v.trim() : ''
  return (allowed as readonly string[]).includes(s) ? { value: s } : { error: `must be one of ${allowed.join(', ')}` }
}

function salt(v: unknown): Parsed {
  const s = typeof v === 'number' ? String(v) : v
  if (typeof s === 'string' && s.length >= 1 && s.length <= 128) return { value: s }
  return { error: 'must be a string of 1 to 128 characters' }
}
