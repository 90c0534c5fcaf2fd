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
    HOST: z.string().min(1).default('127.0.0.1')
      .describe('Address the HTTP server listens on; anything but loopback (127.x.x.x, ::1, localhost) requires MEMORY_API_KEYS.'),
    PORT: int(0, 65535).default(3000).describe('TCP port the HTTP server listens on.'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
      .describe('Level of the pino JSON logs (written to stdout; to stderr under `mcp-memory stdio`).'),
    STORE_URL: storeUrl.default('pglite://./data/memory')
      .describe('The store of record (blue): `postgres://user:pass@host/db`, `pglite://PATH` (embedded Postgres in a data folder; `pglite://memory` keeps it in memory) or `memory://` (ephemeral); secret when the URL holds a password.'),
    MIGRATE_ON_START: bool.optional()
      .describe('Apply pending migrations to a `postgres://` store at start-up; unset means `false` there (run `mcp-memory migrate` instead; the service then only checks that the schema is current), while `pglite://` stores always migrate themselves.'),
    PG_POOL_MAX: int(1, 1000).default(10)
      .describe('Size of the pg connection pool, per Postgres backend and per process (blue and green each get their own pool).'),
    PG_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(15_000).describe('Postgres `statement_timeout` of every statement, in milliseconds (0 = no limit).'),
    MAX_CONTENT_BYTES: int(1, 64 * 1024 * 1024).default(1024 * 1024)
      .describe('Largest `content` of one entry, in UTF-8 bytes; larger content gets 413 `content_too_large` (must not exceed BODY_LIMIT_BYTES).'),
    BODY_LIMIT_BYTES: int(1024, 128 * 1024 * 1024).default(2 * 1024 * 1024)
      .describe('Largest request body, in bytes; a larger body gets 413 `payload_too_large`.'),
    TOKENIZER: z.enum(TOKENIZERS).default('o200k_base').describe('Tokenizer that counts each entry\'s `tokens` (token budgets, context packing).'),
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
      })
      .describe('Secret API keys as `tool=key[:scope+scope],…` (keys of at least 16 characters; scopes `read`, `write`, `read:shared`, `read:<tool>`, `metrics`, `admin`, default `read+write`); unset means local mode: loopback only, the tool named by `X-Memory-Tool`.'),
    MEMORY_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional()
      .describe('Secret admin key (at least 16 characters) for `/admin/*`, `PUT /v2/tools/:tool` and, when API keys are set, `/metrics`.'),
    PURGE_INTERVAL_SECONDS: int(1, 86_400).default(60)
      .describe('How often expired entries are physically removed, in seconds (they are invisible as soon as they expire).'),
    STATS_REFRESH_SECONDS: int(1, 3600).default(30)
      .describe('Minimum age, in seconds, before a `/metrics` scrape recomputes the per-tool entry, token and budget gauges.'),
    IDEMPOTENCY_TTL_SECONDS: int(60, 7 * 86_400).default(86_400).describe('How long the response to an `Idempotency-Key` is replayed, in seconds.'),
    SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000)
      .describe('How long SIGTERM/SIGINT waits for in-flight requests to drain and the store to close, in milliseconds, before the process exits with code 1.'),
    ACCESS_FLUSH_SECONDS: int(1, 3600).default(10)
      .describe('How often read statistics (`accessCount`, `lastAccessedAt`) and cross-tool access log rows are written, in one batch, in seconds.'),
    TOMBSTONE_RETENTION_SECONDS: int(60, 365 * 86_400).default(7 * 86_400)
      .describe('How long deletes are remembered for mirroring, in seconds (a mirror or backfill older than this could bring a deleted entry back).'),
    // Tools (design §5): defaults of a tool registered by its first write; registry snapshot age.
    TOOL_DEFAULT_MAX_TOKENS: int(0, 1_000_000_000_000).optional()
      .describe('Token budget given to a tool registered by its first write, in tokens; unset means no budget.'),
    TOOL_DEFAULT_OVER_BUDGET: z.enum(OVER_BUDGET_POLICIES).default('reject')
      .describe('Over-budget policy of a tool registered by its first write: `reject` (409) or `evict` (entries are evicted in its eviction order).'),
    TOOL_DEFAULT_EVICTION_ORDER: z.enum(EVICTION_ORDERS).default('lru').describe('Eviction order of a tool registered by its first write.'),
    TOOL_DEFAULT_TTL_SECONDS: int(1, 10 * 365 * 86_400).optional()
      .describe('Default time-to-live of a tool registered by its first write, in seconds, for writes that set no expiry; unset means no expiry.'),
    TOOL_REGISTRY_REFRESH_MS: int(0, 3_600_000).default(1000)
      .describe('Maximum age of the tool-registry snapshot behind budgets and grants, in milliseconds (a change made on another replica applies here within it).'),
    ACCESS_LOG_MAX_ROWS: int(1, 100_000_000).default(100_000).describe('Rows of the cross-tool access log kept (the oldest are dropped).'),
    CONTEXT_MAX_CANDIDATES: int(10, 10_000).default(400).describe('Entries scored per `POST /v2/context` request (chosen through indexes).'),
    // Hot tier (design §8): Redis when REDIS_URL is set, else an in-process LRU.
    REDIS_URL: z.string().regex(/^rediss?:\/\/./, 'must be redis://… or rediss://…').optional()
      .describe('Redis hot tier shared by replicas (`redis://…` or `rediss://…`; also holds the traffic kill switch); unset means an in-process LRU; secret when the URL holds a password.'),
    CACHE_TTL_SECONDS: int(1, 30 * 86_400).default(3600).describe('Idle time-to-live of a cached entry, in seconds; every read renews it.'),
    CACHE_MAX_ENTRIES: int(0, 10_000_000).default(10_000).describe('Entries held by the in-process LRU when REDIS_URL is unset (0 = no hot tier).'),
    CACHE_MAX_STALENESS_SECONDS: int(1, 86_400).default(30)
      .describe('Age of the oldest cached value ever served, in seconds; older values are re-read from the store.'),
    CACHE_COMMAND_TIMEOUT_MS: int(5, 10_000).default(100)
      .describe('Deadline of one Redis command, in milliseconds; past it the request is served from the store.'),
    COMPRESSION: z.enum(COMPRESSION_SETTINGS).default('brotli').describe('Codec for stored content and cache values (`none` stores them plain).'),
    COMPRESSION_MIN_BYTES: int(64, 64 * 1024 * 1024).default(1024).describe('Content smaller than this, in bytes, is never compressed.'),
    COMPRESSION_MIN_SAVING_PERCENT: int(1, 90).default(10).describe('A compressed form is kept only when it saves at least this share of the size, in percent.'),
    // The date /v1 stops being served (its `Sunset` header, RFC 8594).
    V1_SUNSET: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)), 'must be a valid date')
      .default('2027-06-30')
      .describe('The date (UTC) announced in the `Sunset` header of every `/v1` answer.'),
    // Blue/green traffic split (design §7): only active when GREEN_STORE_URL is set.
    GREEN_STORE_URL: storeUrl.optional()
      .describe('The green backend of a blue/green migration (same forms as STORE_URL); setting it enables the traffic split; secret when the URL holds a password.'),
    TRAFFIC_STAGE: z.enum(STAGES).default('off').describe('Blue/green stage preset (see docs/blue-green.md); any stage but `off` requires GREEN_STORE_URL.'),
    // Unset dials take the stage's preset; set ones refine it.
    TRAFFIC_GREEN_READ_PERCENT: int(0, 100).optional()
      .describe('Share of routing buckets whose reads green serves, in percent; unset takes the stage\'s preset.'),
    TRAFFIC_GREEN_WRITE_PERCENT: int(0, 100).optional()
      .describe('Share of routing buckets written to green first (green as primary), in percent, at most TRAFFIC_GREEN_READ_PERCENT; unset takes the stage\'s preset.'),
    TRAFFIC_SHADOW_READ_PERCENT: int(0, 100).optional()
      .describe('Share of reads also run on the other side and compared, in percent; unset takes the stage\'s preset.'),
    TRAFFIC_DUAL_WRITE: bool.optional().describe('Mirror every write to the other side; unset takes the stage\'s preset (on from `dualwrite` to `rampdown`).'),
    TRAFFIC_ROUTING_KEY: z.enum(['tool', 'id']).default('tool').describe('What the routing bucket hashes: the calling `tool` or the entry `id`.'),
    TRAFFIC_ROUTING_SALT: z.string().min(1).max(128, 'must be at most 128 characters').default('mcp-memory')
      .describe('Salt of the routing hash (changing it moves buckets between sides).'),
    TRAFFIC_ALLOW_COMPLETE: bool.default(false).describe('Must be true for TRAFFIC_STAGE `complete`, the final stage where blue stops receiving writes.'),
    TRAFFIC_CONFIG_FILE: z.string().min(1).optional()
      .describe('Path of a JSON or YAML file of TRAFFIC_* values, re-read while running (e.g. a mounted ConfigMap); its values override the environment\'s.'),
    TRAFFIC_CONFIG_POLL_MS: int(100, 60_000).default(1000).describe('How often TRAFFIC_CONFIG_FILE is re-read, in milliseconds.'),
    TRAFFIC_KILL_SWITCH_KEY: z.string().min(1).max(512).default('mcpmem:traffic:kill-switch')
      .describe('Redis key of the emergency kill switch (needs REDIS_URL); a value such as `blue` caps traffic on every replica.'),
    TRAFFIC_KILL_SWITCH_POLL_MS: int(100, 60_000).default(1000).describe('How often each replica reads the kill switch key, in milliseconds.'),
    TRAFFIC_GUARD_WINDOW_SECONDS: int(10, 3600).default(60)
      .describe('Rolling window, in seconds, over which the guard judges green before an automatic step back.'),
    TRAFFIC_GUARD_MIN_SAMPLES: int(1, 1_000_000).default(100).describe('Observations a guard signal needs in the window before it is judged.'),
    TRAFFIC_GUARD_MAX_ERROR_PERCENT: int(0, 100).default(5)
      .describe('Green backend error ratio, in percent, above which the guard steps traffic back toward blue.'),
    TRAFFIC_GUARD_MAX_LATENCY_RATIO: decimal(1, 1_000_000).default(3)
      .describe('Green read p99 as a multiple of blue\'s, above which the guard steps traffic back toward blue.'),
    TRAFFIC_GUARD_MAX_MISMATCH_PERCENT: int(0, 100).default(1)
      .describe('Confirmed shadow mismatches, in percent of compares, above which the guard steps traffic back toward blue.'),
    TRAFFIC_SHADOW_DEADLINE_MS: int(1, 60_000).default(500).describe('Deadline of one shadow read on the other side, in milliseconds.'),
    TRAFFIC_SHADOW_MAX_IN_FLIGHT: int(1, 100_000).default(32).describe('Shadow reads running at once per process; beyond it a read is not shadowed (`skipped`).'),
    TRAFFIC_SHADOW_RECHECK_MS: int(0, 60_000).default(250)
      .describe('Delay before a shadow difference is re-checked, in milliseconds (only differences that remain count as mismatches).'),
    TRAFFIC_MIRROR_TIMEOUT_MS: int(1, 120_000).default(2000)
      .describe('Deadline of a mirror write to the other side, in milliseconds; past it the outbox repairs the write later.'),
    OUTBOX_REPAIR_INTERVAL_MS: int(10, 3_600_000).default(1000)
      .describe('Period of the outbox repair worker that replays failed mirror writes, in milliseconds.'),
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
