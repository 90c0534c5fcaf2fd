// Readers of the benchmarks' settings from the environment (bench/env.ts, bench/graph-settings.ts,
// bench/context/settings.ts). Unset and empty variables take the fallback.

/** A whole number between `min` and `max`; anything else throws. */
export function envInt(name: string, fallback: number, min: number, max: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number`)
  const value = Number(raw)
  if (value < min || value > max) throw new Error(`${name} must be between ${min} and ${max}`)
  return value
}

/** `1` or `true` is on, any other value off. */
export function envFlag(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name]
  return raw === undefined || raw === '' ? fallback : raw === '1' || raw === 'true'
}

/** A comma-separated list, items trimmed, empty items dropped (unset: none). */
export function envList(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
}
