/**
 * Shared plumbing of the data commands (backfill, verify, schema-verify, export, import): strict
 * flag parsing with `node:util` parseArgs, the blue/green store URLs (flags first, then config),
 * opening stores, and SIGINT/SIGTERM → AbortSignal.
 */
import { parseArgs } from 'node:util'
import { compressionPolicy } from '../compression/content-codec.js'
import type { Config } from '../config/config.schema.js'
import { redactUrl } from '../logging/logger-options.js'
import { createMemoryStore } from '../storage/create-memory-store.js'
import type { MemoryStore } from '../storage/memory-store.js'

/** A bad flag or a missing setting: exit 2 with the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>
export type OptionValues = Record<string, string | boolean | undefined>

/** `--from` / `--to` override STORE_URL / GREEN_STORE_URL for every data command. */
export const STORE_OPTIONS: OptionSpec = { from: { type: 'string' }, to: { type: 'string' } }

export function parseCommandArgs(args: string[], spec: OptionSpec): OptionValues {
  try {
    return parseArgs({ args, options: { ...STORE_OPTIONS, ...spec }, strict: true, allowPositionals: false }).values as OptionValues
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function intOption(values: OptionValues, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = stringOption(values, name)
  if (text === undefined) return fallback
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number, got "${text}"`)
  const n = Number(text)
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`)
  return n
}

export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[], fallback: T): T {
  const v = stringOption(values, name) ?? fallback
  if (!(choices as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${v}"`)
  return v as T
}

const STORE_URL = /^(postgres(ql)?:\/\/.|pglite:\/\/|memory:\/\/$)/

/** The configured green backend (GREEN_STORE_URL, validated by the config schema), if any. */
export function greenUrlOf(config: Readonly<Config>): string | undefined {
  return config.GREEN_STORE_URL
}

export interface StoreUrls {
  blue: string
  green: string | undefined
}

export function storeUrls(config: Readonly<Config>, values: OptionValues): StoreUrls {
  const from = stringOption(values, 'from')
  const to = stringOption(values, 'to')
  for (const [flag, url] of [['--from', from], ['--to', to]] as const) {
    if (url !== undefined && !STORE_URL.test(url)) throw new UsageError(`${flag} must be postgres://…, pglite://PATH or memory://`)
  }
  return { blue: from ?? config.STORE_URL, green: to ?? greenUrlOf(config) }
}

/** The green URL; refuses a missing one, and one naming the blue store (a self-copy or self-compare proves nothing). */
export function requireGreen(urls: StoreUrls): string {
  if (urls.green === undefined) throw new UsageError('no green store: set GREEN_STORE_URL or pass --to URL')
  if (urls.green === urls.blue && urls.blue !== 'memory://') throw new UsageError('blue and green name the same store')
  return urls.green
}

/**
 * Open and init the store at `url`. A shared Postgres is never migrated here (only asserted
 * current; run `mcp-memory migrate`), PGlite migrates itself as at service start.
 */
export async function openStore(config: Readonly<Config>, url: string): Promise<MemoryStore> {
  // Writes compress as the service's would (COMPRESSION*), so a backfilled row is stored like a mirrored one.
  const compression = compressionPolicy(config.COMPRESSION, config.COMPRESSION_MIN_BYTES, config.COMPRESSION_MIN_SAVING_PERCENT / 100)
  const store = await createMemoryStore({ ...config, MIGRATE_ON_START: false }, { now: Date.now, compression }, url)
  try {
    await store.init()
  } catch (err) {
    await store.close().catch(() => {})
    throw new Error(`cannot open ${redactUrl(url)}: ${(err as Error).message}`)
  }
  return store
}

/** First SIGINT/SIGTERM: abort (stop after the chunk in flight). Second: exit at once. Returns a remover. */
export function abortOnSignals(controller: AbortController, log: (line: string) => void): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130)
    log(`\n${signal}: stopping after the current chunk (again to quit at once)`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

export { redactUrl }
