/**
 * `npm run docs:config`: writes docs/configuration.md from the config schema
 * (`src/config/config.schema.ts`), so the reference cannot drift from what `loadConfig` accepts.
 *
 * Per variable, in declaration order within its group:
 * - default: the zod `.default()` value; `unset` for an optional field (its description says
 *   what unset means);
 * - allowed values: derived from the zod v4 schema tree (`schema._zod.def`): enum options; for
 *   numbers, the `number_format` (integer) and `greater_than` / `less_than` checks; for strings,
 *   the length checks and the messages of regex and refine checks. A value parsed by a transform
 *   (nothing to derive) takes its format from `PARSED_FORMATS` below, and only then;
 * - description: the field's `.describe()` text.
 *
 * The output is deterministic (no dates, no environment). test/deploy/config-doc.test.ts renders it
 * in memory and fails when the committed file differs.
 */
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIG_KEYS, configField, STDIO_VARIABLES } from '../src/config/config.schema.js'

export type ConfigKey = (typeof CONFIG_KEYS)[number]
type StdioVariable = (typeof STDIO_VARIABLES)[number]

export const CONFIG_DOC_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))

/** The sections of the reference, in order; every CONFIG_KEYS entry must fall into exactly one. */
const GROUPS: ReadonlyArray<{ title: string; names?: readonly string[]; prefixes?: readonly string[] }> = [
  { title: 'Server', names: ['HOST', 'PORT', 'LOG_LEVEL', 'BODY_LIMIT_BYTES', 'SHUTDOWN_TIMEOUT_MS', 'IDEMPOTENCY_TTL_SECONDS', 'V1_SUNSET'] },
  { title: 'Access', prefixes: ['MEMORY_'] },
  {
    title: 'Store',
    names: ['STORE_URL', 'MIGRATE_ON_START', 'MAX_CONTENT_BYTES', 'TOKENIZER', 'PURGE_INTERVAL_SECONDS', 'STATS_REFRESH_SECONDS',
      'ACCESS_FLUSH_SECONDS', 'TOMBSTONE_RETENTION_SECONDS'],
    prefixes: ['PG_'],
  },
  { title: 'Tools, budgets and context', names: ['ACCESS_LOG_MAX_ROWS', 'CONTEXT_MAX_CANDIDATES'], prefixes: ['TOOL_'] },
  { title: 'Hot tier', names: ['REDIS_URL'], prefixes: ['CACHE_'] },
  { title: 'Compression', prefixes: ['COMPRESSION'] },
  { title: 'Blue/green traffic split', names: ['GREEN_STORE_URL'], prefixes: ['TRAFFIC_', 'OUTBOX_'] },
]

/**
 * Formats of values that a transform parses, where the schema has nothing to derive from.
 * Rendering fails if an entry here names a field whose values can be derived.
 */
const PARSED_FORMATS: Partial<Record<ConfigKey, string>> = {
  MEMORY_API_KEYS: '`tool=key[:scope+scope],…` (comma-separated)',
}

/** Variables read outside the schema (`STDIO_VARIABLES`): documented here, checked for completeness by the type. */
const STDIO_DOCS: Record<StdioVariable, { default: string; description: string }> = {
  MEMORY_TOOL: {
    default: '`default`',
    description: 'The tool `mcp-memory stdio` acts as (read and write scopes); also the default `--tool` of `import-jsonl` and `export-jsonl`.',
  },
  MEMORY_FILE_PATH: {
    default: 'unset',
    description: 'A reference server `memory.jsonl` that `mcp-memory stdio` imports at start when the tool\'s knowledge graph is empty (`~` is expanded); a malformed line stops start-up and imports nothing.',
  },
}

// ---- zod v4 internals (read-only) ------------------------------------------------------------

interface ZodCheck {
  _zod: {
    def: {
      check: string
      value?: number
      inclusive?: boolean
      minimum?: number
      maximum?: number
      format?: string
      pattern?: RegExp
      error?: (issue: unknown) => unknown
    }
  }
}

interface ZodNode {
  _zod: {
    optin?: string
    def: {
      type: string
      innerType?: ZodNode
      in?: ZodNode
      out?: ZodNode
      defaultValue?: unknown
      checks?: ZodCheck[]
    }
  }
  options?: readonly (string | number)[]
  description?: string
}

const node = (key: ConfigKey) => configField(key) as unknown as ZodNode

/** The custom message of a check (`.regex(re, 'must be …')`, `.refine(fn, 'must be …')`), if any. */
function checkMessage(check: ZodCheck): string | undefined {
  const error = check._zod.def.error
  if (typeof error !== 'function') return undefined
  const result = error({})
  const text = typeof result === 'string' ? result : (result as { message?: unknown } | undefined)?.message
  return typeof text === 'string' && text.length > 0 ? text.replace(/^must be /, '') : undefined
}

/** `65535` → `65,535` (from 10,000 up; no locale involved, so the output is the same everywhere). */
const group3 = (n: number) => (Math.abs(n) >= 10_000 && Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : String(n))

function numberText(checks: readonly ZodCheck[]): string {
  let integer = false
  let low: string | undefined
  let high: string | undefined
  for (const c of checks) {
    const d = c._zod.def
    if (d.check === 'number_format') integer = /int/.test(d.format ?? '')
    else if (d.check === 'greater_than') low = `${d.inclusive ? '' : '> '}${group3(d.value!)}`
    else if (d.check === 'less_than') high = `${d.inclusive ? '' : '< '}${group3(d.value!)}`
    else throw new Error(`unexpected number check ${d.check}`)
  }
  const kind = integer ? 'integer' : 'number'
  if (low !== undefined && high !== undefined && !low.startsWith('>') && !high.startsWith('<')) return `${kind} ${low}–${high}`
  const bounds = [low === undefined ? '' : low.startsWith('>') ? low : `≥ ${low}`, high === undefined ? '' : high.startsWith('<') ? high : `≤ ${high}`]
  return [kind, ...bounds.filter(Boolean)].join(' ')
}

function stringText(checks: readonly ZodCheck[]): string {
  let min: number | undefined
  let max: number | undefined
  const parts: string[] = []
  for (const c of checks) {
    const d = c._zod.def
    if (d.check === 'min_length') min = d.minimum
    else if (d.check === 'max_length') max = d.maximum
    else if (d.check === 'string_format' || d.check === 'custom') {
      const message = checkMessage(c)
      if (message !== undefined) parts.push(message)
      else if (d.pattern) parts.push(`matches \`${String(d.pattern)}\``)
      else throw new Error(`a ${d.check} check without a message: give it one, or document the field in PARSED_FORMATS`)
    } else throw new Error(`unexpected string check ${d.check}`)
  }
  if (min !== undefined && max !== undefined) parts.push(`${min}–${max} characters`)
  else if (max !== undefined) parts.push(`at most ${max} characters`)
  else if (min === 1) parts.push('non-empty string')
  else if (min !== undefined) parts.push(`at least ${min} characters`)
  return parts.length === 0 ? 'string' : parts.join('; ')
}

const code = (v: string | number) => `\`${v}\``

function enumText(options: readonly (string | number)[], boolean: boolean): string {
  if (boolean && options.includes('true') && options.includes('false')) {
    const others = options.filter((o) => o !== 'true' && o !== 'false')
    return `boolean: \`true\`, \`false\`${others.length > 0 ? ` (also ${others.map(code).join(', ')})` : ''}`
  }
  return options.map(code).join(', ')
}

/** Allowed values of a schema node, or null when a transform parses a plain string (nothing to derive). */
function allowedText(n: ZodNode): string | null {
  const d = n._zod.def
  switch (d.type) {
    case 'default':
    case 'optional':
    case 'nullable':
      return allowedText(d.innerType!)
    case 'pipe': {
      const out = d.out!._zod.def
      if (out.type === 'number') return numberText(out.checks ?? [])
      if (out.type === 'transform') {
        const input = unwrap(d.in!)
        if (input._zod.def.type === 'enum') return enumText(input.options ?? [], true)
        if (input._zod.def.type === 'string' && (input._zod.def.checks ?? []).length === 0) return null
        return allowedText(d.in!)
      }
      return allowedText(d.out!)
    }
    case 'enum':
      return enumText(n.options ?? [], false)
    case 'string':
      return stringText(d.checks ?? [])
    case 'number':
      return numberText(d.checks ?? [])
    default:
      throw new Error(`cannot derive the allowed values of a zod ${d.type}`)
  }
}

function unwrap(n: ZodNode): ZodNode {
  const d = n._zod.def
  return (d.type === 'optional' || d.type === 'default' || d.type === 'nullable') && d.innerType ? unwrap(d.innerType) : n
}

function defaultText(n: ZodNode): string {
  const d = n._zod.def
  if (d.type === 'default') {
    const v = d.defaultValue
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return code(String(v))
    throw new Error(`unexpected default ${JSON.stringify(v)}`)
  }
  if (n._zod.optin === 'optional') return 'unset'
  return 'required'
}

// ---- the document ------------------------------------------------------------------------------

export interface FieldDoc {
  name: ConfigKey
  group: string
  default: string
  allowed: string
  description: string
}

function groupOf(key: string): string {
  const matches = GROUPS.filter((g) => g.names?.includes(key) || g.prefixes?.some((p) => key.startsWith(p)))
  if (matches.length !== 1) {
    throw new Error(`${key} falls into ${matches.length} groups of scripts/write-config-doc.ts (${matches.map((g) => g.title).join(', ') || 'none'}): add it to exactly one`)
  }
  return matches[0]!.title
}

/** One row per CONFIG_KEYS entry, in declaration order. Throws naming the field when something cannot be derived. */
export function fieldDocs(): FieldDoc[] {
  return CONFIG_KEYS.map((name) => {
    const n = node(name)
    let allowed: string | null
    try {
      allowed = allowedText(n)
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`)
    }
    const documented = PARSED_FORMATS[name]
    if (allowed !== null && documented !== undefined) throw new Error(`${name}: its values are derivable (${allowed}); remove it from PARSED_FORMATS`)
    if (allowed === null && documented === undefined) throw new Error(`${name}: a transform parses its value; describe the format in PARSED_FORMATS`)
    const description = n.description?.trim() ?? ''
    if (description === '') throw new Error(`${name}: no .describe() text in src/config/config.schema.ts`)
    return { name, group: groupOf(name), default: defaultText(n), allowed: allowed ?? documented!, description }
  })
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const anchor = (title: string) => title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')

export function renderConfigDoc(): string {
  const fields = fieldDocs()
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated by scripts/write-config-doc.ts from src/config/config.schema.ts. Do not edit: change the schema\'s .describe() texts and run `npm run docs:config`. -->',
    '',
    'Every setting is an environment variable, read and validated once at start-up by `loadConfig`',
    '(`src/config/load-config.ts`). An empty value counts as unset. A bad value stops the process with',
    'exit code 2 and one line per variable (`PORT: must be a whole number`); values are never echoed,',
    'since some are secrets. Defaults, ranges and allowed values below are derived from the schema itself.',
    '',
    'See also: [deployment](deployment.md), [blue/green migration](blue-green.md), [troubleshooting](troubleshooting.md).',
    '',
    ...GROUPS.map((g) => `- [${g.title}](#${anchor(g.title)})`),
    '- [Rules across variables](#rules-across-variables)',
    '- [`mcp-memory stdio` and the memory.jsonl commands](#mcp-memory-stdio-and-the-memoryjsonl-commands)',
  ]
  for (const g of GROUPS) {
    out.push('', `## ${g.title}`, '', '| variable | default | allowed values | description |', '|---|---|---|---|')
    for (const f of fields.filter((x) => x.group === g.title)) {
      out.push(`| \`${f.name}\` | ${cell(f.default)} | ${cell(f.allowed)} | ${cell(f.description)} |`)
    }
  }
  out.push(
    '',
    '## Rules across variables',
    '',
    'Checked at start-up after each variable is valid on its own (`ConfigSchema` in',
    '`src/config/config.schema.ts`); a violation stops start-up and names the variable.',
    '',
    '- Without `MEMORY_API_KEYS` (local mode) `HOST` must be a loopback address (`127.x.x.x`, `::1`, `localhost`).',
    '- `MAX_CONTENT_BYTES` must not exceed `BODY_LIMIT_BYTES`.',
    '- A `TRAFFIC_STAGE` other than `off` needs `GREEN_STORE_URL` (`[stage-needs-green]`).',
    '- The `TRAFFIC_*` dials must form valid settings, the same rules a reload of `TRAFFIC_CONFIG_FILE` is',
    '  checked against; each message names its rule, e.g. `[write-within-read]`: `TRAFFIC_GREEN_WRITE_PERCENT`',
    '  must not exceed `TRAFFIC_GREEN_READ_PERCENT` (all rules: [docs/blue-green.md](blue-green.md) and the README).',
    '',
    '## `mcp-memory stdio` and the memory.jsonl commands',
    '',
    'Read outside the schema (`STDIO_VARIABLES`), under the reference memory server\'s names, by',
    '`mcp-memory stdio` and, for `MEMORY_TOOL`, by `import-jsonl` / `export-jsonl`. `mcp-memory stdio`',
    'also reads every variable above (`STORE_URL` in particular; use an absolute path, e.g.',
    '`pglite:///home/me/.mcp-memory`, since MCP clients start commands from anywhere) and refuses to run',
    'with `GREEN_STORE_URL` set.',
    '',
    '| variable | default | description |',
    '|---|---|---|',
    ...STDIO_VARIABLES.map((name) => `| \`${name}\` | ${STDIO_DOCS[name].default} | ${cell(STDIO_DOCS[name].description)} |`),
    '',
  )
  return out.join('\n')
}

// ---- comparison (used by the test) -------------------------------------------------------------

/** Names in the first cell of the table rows of a reference document (`| \`NAME\` | …`). */
export function documentedVariables(doc: string): string[] {
  const names: string[] = []
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`([A-Za-z0-9_]+)`\s*\|/.exec(line)
    if (m) names.push(m[1]!)
  }
  return names
}

/**
 * Problems of `actual` against the `expected` rendering, empty when they are identical: variables
 * missing from the document, variables it documents that the config does not know, then the first
 * differing line. Each problem names its variable or line.
 */
export function compareConfigDoc(expected: string, actual: string): string[] {
  if (expected === actual) return []
  const want = new Set(documentedVariables(expected))
  const have = documentedVariables(actual)
  const problems: string[] = []
  for (const name of want) if (!have.includes(name)) problems.push(`${name} is missing from docs/configuration.md`)
  for (const name of new Set(have)) {
    if (!want.has(name)) problems.push(`${name} is documented in docs/configuration.md but is not a configuration variable (CONFIG_KEYS / STDIO_VARIABLES)`)
  }
  for (const name of want) {
    if (have.filter((n) => n === name).length > 1) problems.push(`${name} is documented more than once`)
  }
  if (problems.length === 0) {
    const a = expected.split('\n')
    const b = actual.split('\n')
    const index = a.findIndex((line, i) => line !== b[i])
    const at = index === -1 ? a.length : index
    problems.push(`line ${at + 1} differs:\n  expected: ${a[at] ?? '(end of file)'}\n  found:    ${b[at] ?? '(end of file)'}`)
  }
  problems.push('docs/configuration.md is out of date: run `npm run docs:config`')
  return problems
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(CONFIG_DOC_PATH, renderConfigDoc())
  console.log(`wrote docs/configuration.md (${CONFIG_KEYS.length} variables + ${STDIO_VARIABLES.length} stdio variables)`)
}
