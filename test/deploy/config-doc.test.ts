/**
 * docs/configuration.md is generated from the config schema (`npm run docs:config`): this test
 * renders it again in memory and fails when the committed file differs, checks that every variable
 * has a description and a row, and that the README's configuration table names no variable the
 * config does not read.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { CONFIG_KEYS, configField, STDIO_VARIABLES } from '../../src/config/config.schema.js'
import {
  CONFIG_DOC_PATH, compareConfigDoc, documentedVariables, fieldDocs, renderConfigDoc,
} from '../../scripts/write-config-doc.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const KNOWN = new Set<string>([...CONFIG_KEYS, ...STDIO_VARIABLES])

/**
 * Variables named by the README's configuration table (the `## Configuration` section up to its
 * next heading). The first cell may abbreviate: `A_B_C` / `_D` means `A_B_D`, and `A_*` means every
 * variable starting with `A_` (at least one must exist). Other cells are searched for full names.
 * Returns the unknown names, each as written.
 */
function unknownReadmeVariables(readme: string): { unknown: string[]; rows: number } {
  const start = readme.indexOf('\n## Configuration\n')
  if (start === -1) return { unknown: ['(no "## Configuration" section)'], rows: 0 }
  const rest = readme.slice(start + 1)
  const next = rest.slice(3).search(/\n#{2,3} /)
  const section = next === -1 ? rest : rest.slice(0, next + 3)
  const unknown: string[] = []
  let rows = 0
  for (const line of section.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*(variable|-)/.test(line)) continue
    rows++
    const cells = line.split(/(?<!\\)\|/).slice(1, -1)
    const first = cells[0] ?? ''
    const names = [...first.matchAll(/`([A-Z0-9_*]+)`/g)].map((m) => m[1]!)
    const full = names.find((n) => !n.startsWith('_') && !n.endsWith('*'))
    for (const name of names) {
      if (name.endsWith('*')) {
        const prefix = name.slice(0, -1)
        if (![...KNOWN].some((k) => k.startsWith(prefix))) unknown.push(name)
      } else if (name.startsWith('_')) {
        // `TRAFFIC_SHADOW_DEADLINE_MS` / `_MAX_IN_FLIGHT`: the suffix replaces trailing words of the row's full name.
        const words = (full ?? '').split('_')
        const resolved = words.map((_, i) => words.slice(0, words.length - i).join('_') + name).find((n) => KNOWN.has(n))
        if (resolved === undefined) unknown.push(name)
      } else if (!KNOWN.has(name)) unknown.push(name)
    }
    for (const cell of cells.slice(1)) {
      for (const m of cell.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(_\*)?)`/g)) {
        const name = m[1]!
        const ok = name.endsWith('_*') ? [...KNOWN].some((k) => k.startsWith(name.slice(0, -1))) : KNOWN.has(name)
        if (!ok) unknown.push(name)
      }
    }
  }
  return { unknown, rows }
}

t.test('docs/configuration.md matches the schema', async (t) => {
  const committed = readFileSync(CONFIG_DOC_PATH, 'utf8')
  const problems = compareConfigDoc(renderConfigDoc(), committed)
  t.same(problems, [], problems.join('\n'))
})

t.test('rendering is deterministic', async (t) => {
  t.equal(renderConfigDoc(), renderConfigDoc())
})

t.test('every variable has a description and a row', async (t) => {
  const committed = readFileSync(CONFIG_DOC_PATH, 'utf8')
  const rows = documentedVariables(committed)
  for (const key of CONFIG_KEYS) {
    const description = configField(key).description
    t.ok(description !== undefined && description.trim().length > 0, `${key} has a .describe() text`)
    t.equal(rows.filter((r) => r === key).length, 1, `${key} has exactly one row in docs/configuration.md`)
  }
  for (const name of STDIO_VARIABLES) t.ok(rows.includes(name), `${name} has a row`)
  t.equal(rows.length, CONFIG_KEYS.length + STDIO_VARIABLES.length, 'no other rows')
})

t.test('defaults and ranges are derived from the zod schema', async (t) => {
  const byName = new Map(fieldDocs().map((f) => [f.name, f]))
  const field = (name: (typeof CONFIG_KEYS)[number]) => byName.get(name)!
  t.match(field('PORT'), { default: '`3000`', allowed: 'integer 0–65,535' })
  t.match(field('LOG_LEVEL'), { default: '`info`', allowed: '`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`' })
  t.match(field('MIGRATE_ON_START'), { default: 'unset', allowed: /^boolean: `true`, `false`/ })
  t.match(field('TRAFFIC_ALLOW_COMPLETE'), { default: '`false`' })
  t.match(field('TRAFFIC_GUARD_MAX_LATENCY_RATIO'), { default: '`3`', allowed: 'number 1–1,000,000' })
  t.match(field('TOOL_DEFAULT_MAX_TOKENS'), { default: 'unset', allowed: 'integer 0–1,000,000,000,000' })
  t.match(field('REDIS_URL'), { default: 'unset', allowed: 'redis://… or rediss://…' })
  t.match(field('MEMORY_ADMIN_KEY'), { allowed: 'at least 16 characters' })
  t.match(field('TRAFFIC_ROUTING_SALT'), { default: '`mcp-memory`', allowed: '1–128 characters' })
  t.match(field('MEMORY_API_KEYS'), { default: 'unset', allowed: /tool=key/ })
  t.match(field('STORE_URL'), { default: '`pglite://./data/memory`', allowed: /pglite:\/\/PATH/ })
})

t.test('the comparison rejects a document with a variable removed or an unknown one added', async (t) => {
  const expected = renderConfigDoc()
  const lines = expected.split('\n')

  const withoutPort = lines.filter((l) => !l.startsWith('| `PORT` |')).join('\n')
  t.not(withoutPort, expected, 'the fixture really removed a row')
  const removed = compareConfigDoc(expected, withoutPort)
  t.ok(removed.some((p) => /\bPORT\b/.test(p) && /missing/.test(p)), `names PORT: ${removed.join(' / ')}`)
  t.ok(removed.some((p) => p.includes('npm run docs:config')), 'tells how to fix it')

  const at = lines.findIndex((l) => l.startsWith('| `HOST` |'))
  const withUnknown = [...lines.slice(0, at + 1), '| `MEMORY_TURBO` | `true` | boolean | Not a real flag. |', ...lines.slice(at + 1)].join('\n')
  const added = compareConfigDoc(expected, withUnknown)
  t.ok(added.some((p) => /\bMEMORY_TURBO\b/.test(p) && /not a configuration variable/.test(p)), `names MEMORY_TURBO: ${added.join(' / ')}`)

  const edited = expected.replace('TCP port the HTTP server listens on.', 'The port.')
  const changed = compareConfigDoc(expected, edited)
  t.ok(changed.some((p) => /^line \d+ differs/.test(p) && p.includes('The port.')), 'an edited description is named by its line')

  t.same(compareConfigDoc(expected, expected), [], 'an identical document passes')
})

t.test('the README configuration table names only known variables and links the reference', async (t) => {
  const { unknown, rows } = unknownReadmeVariables(README)
  t.ok(rows >= 20, `the README table was found (${rows} rows)`)
  t.same(unknown, [], `unknown variables in the README configuration table: ${unknown.join(', ')}`)
  t.match(README, /\]\(docs\/configuration\.md\)/, 'the README links docs/configuration.md')

  const fixture = [
    '# x', '', '## Configuration', '', '| variable | default | meaning |', '|---|---|---|',
    '| `HOST` / `LOG_FORMAT` | `127.0.0.1` | see `MEMORY_API_KEYS` and `LOG_COLOUR_MODE` |',
    '| `TRAFFIC_SHADOW_DEADLINE_MS` / `_MAX_IN_FLIGHT` / `_MAX_OUT` | | |',
    '| `TRAFFIC_GUARD_*` / `NOPE_*` | | |',
    '', '## Next', '', '| `OUTSIDE_THE_TABLE` | | |',
  ].join('\n')
  t.same(unknownReadmeVariables(fixture), { unknown: ['LOG_FORMAT', 'LOG_COLOUR_MODE', '_MAX_OUT', 'NOPE_*'], rows: 3 },
    'unknown variables of the table are named (full, abbreviated and wildcard names), rows after the section are not read')
})
