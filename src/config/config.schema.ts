/**
 * Configuration from the environment (design §6), parsed once at start-up by `loadConfig`.
 * Every flag the service reads is declared here; docs and deploy manifests are checked against it.
 */
import { z } from 'zod'
import { TOKENIZERS } from '../domain/memory/token-counter.js'
import { parseApiKeys } from './api-keys.js'
import { EVICTION_ORDERS, OVER_BUDGET_POLICIES } from '../domain/tools/tool-record.js'
import { COMPRESSION_SETTINGS } from '../compression/content-codec.js'
import { STAGES } from '../traffic/stages.js'
import { resolveTrafficSettings, trafficValuesFromConfig } from '../traffic/traffic-config.js'

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

/** A decimal like `3` or `2.5` (for ratios). */
const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))

const storeUrl = z
  .string()
  .refine((v) => /^(postgres|postgresql):\/\/./.test(v) || /^pglite:\/\//.test(v) || v === 'memory://', {
    message: 'must be postgres://…, pglite://PATH or memory://',
  })

/** Every flag the service reads, with its validation (and, for docs, its description). */
const ConfigFields = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: int(0, 65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    STORE_URL: storeUrl.default('pglite://./data/memory'),
    MIGRATE_ON_START: bool.optional(),
    PG_POOL_MAX: int(1, 1000).default(10),
    PG_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(15_000),
    MAX_CONTENT_BYTES: int(1, 64 * 1024 * 1024).default(1024 * 1024),
    BODY_LIMIT_BYTES: int(1024, 128 * 1024 * 1024).default(2 * 1024 * 1024),
    TOKENIZER: z.enum(TOKENIZERS).default('o200k_base'),
    MEMORY_API_KEYS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return []
        try {
          return parseApiKeys(v)
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message })
          return z.NEVER
        }
      }),
    MEMORY_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    PURGE_INTERVAL_SECONDS: int(1, 86_400).default(60),
    STATS_REFRESH_SECONDS: int(1, 3600).default(30),
    IDEMPOTENCY_TTL_SECONDS: int(60, 7 * 86_400).default(86_400),
    SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
    ACCESS_FLUSH_SECONDS: int(1, 3600).default(10),
    TOMBSTONE_RETENTION_SECONDS: int(60, 365 * 86_400).default(7 * 86_400),
    // Tools (design §5): defaults of a tool registered by its first write; registry snapshot age.
    TOOL_DEFAULT_MAX_TOKENS: int(0, 1_000_000_000_000).optional(),
    TOOL_DEFAULT_OVER_BUDGET: z.enum(OVER_BUDGET_POLICIES).default('reject'),
    TOOL_DEFAULT_EVICTION_ORDER: z.enum(EVICTION_ORDERS).default('lru'),
    TOOL_DEFAULT_TTL_SECONDS: int(1, 10 * 365 * 86_400).optional(),
    TOOL_REGISTRY_REFRESH_MS: int(0, 3_600_000).default(1000),
    ACCESS_LOG_MAX_ROWS: int(1, 100_000_000).default(100_000),
    CONTEXT_MAX_CANDIDATES: int(10, 10_000).default(400),
    // Hot tier (design §8): Redis when REDIS_URL is set, else an in-process LRU.
    REDIS_URL: z.string().regex(/^rediss?:\/\/./, 'must be redis://… or rediss://…').optional(),
    CACHE_TTL_SECONDS: int(1, 30 * 86_400).default(3600),
    CACHE_MAX_ENTRIES: int(0, 10_000_000).default(10_000),
    CACHE_MAX_STALENESS_SECONDS: int(1, 86_400).default(30),
    CACHE_COMMAND_TIMEOUT_MS: int(5, 10_000).default(100),
    COMPRESSION: z.enum(COMPRESSION_SETTINGS).default('brotli'),
    COMPRESSION_MIN_BYTES: int(64, 64 * 1024 * 1024).default(1024),
    COMPRESSION_MIN_SAVING_PERCENT: int(1, 90).default(10),
    // The date /v1 stops being served (its `Sunset` header, RFC 8594).
    V1_SUNSET: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'must be a valid date')
      .default('2027-06-30'),
    // Blue/green traffic split (design §7): only active when GREEN_STORE_URL is set.
    GREEN_STORE_URL: storeUrl.optional(),
    TRAFFIC_STAGE: z.enum(STAGES).default('off'),
    // Unset dials take the stage's preset; set ones refine it.
    TRAFFIC_GREEN_READ_PERCENT: int(0, 100).optional(),
    TRAFFIC_GREEN_WRITE_PERCENT: int(0, 100).optional(),
    TRAFFIC_SHADOW_READ_PERCENT: int(0, 100).optional(),
    TRAFFIC_DUAL_WRITE: bool.optional(),
    TRAFFIC_ROUTING_KEY: z.enum(['tool', 'id']).default('tool'),
    TRAFFIC_ROUTING_SALT: z.string().min(1).max(128, 'must be at most 128 characters').default('mcp-memory'),
    TRAFFIC_ALLOW_COMPLETE: bool.default(false),
    TRAFFIC_CONFIG_FILE: z.string().min(1).optional(),
    TRAFFIC_CONFIG_POLL_MS: int(100, 60_000).default(1000),
    TRAFFIC_KILL_SWITCH_KEY: z.string().min(1).max(512).default('mcpmem:traffic:kill-switch'),
    TRAFFIC_KILL_SWITCH_POLL_MS: int(100, 60_000).default(1000),
    TRAFFIC_GUARD_WINDOW_SECONDS: int(10, 3600).default(60),
    TRAFFIC_GUARD_MIN_SAMPLES: int(1, 1_000_000).default(100),
    TRAFFIC_GUARD_MAX_ERROR_PERCENT: int(0, 100).default(5),
    TRAFFIC_GUARD_MAX_LATENCY_RATIO: decimal(1, 1_000_000).default(3),
    TRAFFIC_GUARD_MAX_MISMATCH_PERCENT: int(0, 100).default(1),
    TRAFFIC_SHADOW_DEADLINE_MS: int(1, 60_000).default(500),
    TRAFFIC_SHADOW_MAX_IN_FLIGHT: int(1, 100_000).default(32),
    TRAFFIC_SHADOW_RECHECK_MS: int(0, 60_000).default(250),
    TRAFFIC_MIRROR_TIMEOUT_MS: int(1, 120_000).default(2000),
    OUTBOX_REPAIR_INTERVAL_MS: int(10, 3_600_000).default(1000),
  })

/**
 * Variables read outside this schema, by `mcp-memory stdio` and the memory.jsonl commands only
 * (the reference memory server's names): the tool to act as, and the memory.jsonl to import.
 */
export const STDIO_VARIABLES = ['MEMORY_TOOL', 'MEMORY_FILE_PATH'] as const

/** The names of every environment variable in the schema, in declaration order. */
export const CONFIG_KEYS = Object.keys(ConfigFields.shape) as Array<keyof typeof ConfigFields.shape>

/** The schema's field of `key` (its zod type: default, optional, description). */
export function configField(key: (typeof CONFIG_KEYS)[number]): z.ZodType {
  return ConfigFields.shape[key]
}

export const ConfigSchema = ConfigFields
  .superRefine((c, ctx) => {
    if (c.MEMORY_API_KEYS.length === 0 && !isLoopback(c.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOST'],
        message: `local mode (no MEMORY_API_KEYS) only binds to loopback; got "${c.HOST}". Set MEMORY_API_KEYS to listen on other addresses`,
      })
    }
    if (c.MAX_CONTENT_BYTES > c.BODY_LIMIT_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['MAX_CONTENT_BYTES'], message: 'must not exceed BODY_LIMIT_BYTES' })
    }
    if (c.TRAFFIC_STAGE !== 'off' && !c.GREEN_STORE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRAFFIC_STAGE'],
        message: `[stage-needs-green] stage ${c.TRAFFIC_STAGE} needs GREEN_STORE_URL (without a green backend there is nothing to split traffic to)`,
      })
    }
    // The same invariants a reload of TRAFFIC_CONFIG_FILE is checked against; each message names its rule.
    const traffic = resolveTrafficSettings(trafficValuesFromConfig(c))
    if (!traffic.ok) {
      for (const message of traffic.errors) {
        const variable = /TRAFFIC_[A-Z_]+/.exec(message)?.[0] ?? 'TRAFFIC_STAGE'
        ctx.addIssue({ code: 'custom', path: [variable], message })
      }
    }
  })
  .transform((c) => ({
    ...c,
    // Embedded and ephemeral stores migrate themselves; a shared Postgres is migrated by `mcp-memory migrate`.
    MIGRATE_ON_START: c.MIGRATE_ON_START ?? !/^postgres(ql)?:/.test(c.STORE_URL),
    localMode: c.MEMORY_API_KEYS.length === 0,
  }))

export type Config = z.infer<typeof ConfigSchema>

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}
