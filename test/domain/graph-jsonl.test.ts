/** The reference memory.jsonl parser and formatter (src/domain/graph/jsonl.ts). */
import t from 'tap'
import { AppError } from '../../src/errors/app-error.js'
import { MAX_JSONL_ERRORS, formatMemoryJsonl, parseMemoryJsonl, parseMemoryJsonlOrThrow } from '../../src/domain/graph/jsonl.js'
import type { KnowledgeGraph } from '../../src/domain/graph/knowledge-graph.js'

const GRAPH: KnowledgeGraph = {
  entities: [
    { name: 'Ada', entityType: 'person', observations: ['wrote "notes"', 'line\nbreak', 'émoji 🧮'] },
    { name: ' spaced ', entityType: 'Thing', observations: [] },
  ],
  relations: [
    { from: 'Ada', to: ' spaced ', relationType: 'knows' },
    { from: 'Ghost', to: 'Ada', relationType: 'haunts' },
  ],
}

/** The reference's bytes for GRAPH, written out by hand. */
const BYTES = [
  '{"type":"entity","name":"Ada","entityType":"person","observations":["wrote \\"notes\\"","line\\nbreak","émoji 🧮"]}',
  '{"type":"entity","name":" spaced ","entityType":"Thing","observations":[]}',
  '{"type":"relation","from":"Ada","to":" spaced ","relationType":"knows"}',
  '{"type":"relation","from":"Ghost","to":"Ada","relationType":"haunts"}',
].join('\n')

t.test('format gives the reference bytes: entities then relations, compact, \\n-joined, no trailing newline', async (t) => {
  t.equal(formatMemoryJsonl(GRAPH), BYTES)
  t.equal(formatMemoryJsonl({ entities: [], relations: [] }), '')
  // Key order is the reference's whatever order the objects were built in.
  const shuffled = { entities: [{ observations: ['o'], entityType: 't', name: 'n' }], relations: [{ relationType: 'r', to: 'b', from: 'a' }] }
  t.equal(formatMemoryJsonl(shuffled), '{"type":"entity","name":"n","entityType":"t","observations":["o"]}\n{"type":"relation","from":"a","to":"b","relationType":"r"}')
})

t.test('round trip: parse(format(graph)) is the graph, and format(parse(bytes)) the bytes', async (t) => {
  const parsed = parseMemoryJsonl(BYTES)
  t.same(parsed, { ok: true, graph: GRAPH, skipped: 0 })
  if (parsed.ok) t.equal(formatMemoryJsonl(parsed.graph), BYTES)
})

t.test('blank lines, lines of other types and unknown fields are skipped; the kept lines remain', async (t) => {
  const text = [
    '\uFEFF' + BYTES.split('\n')[0],
    '',
    '   ',
    '{"type":"comment","text":"ignored"}',
    '{"name":"no type at all"}',
    BYTES.split('\n')[1]!.replace('}', ',"extra":{"deep":true}}'),
    BYTES.split('\n')[2] + '\r',
    BYTES.split('\n')[3],
    '',
  ].join('\n')
  const parsed = parseMemoryJsonl(text)
  t.same(parsed, { ok: true, graph: GRAPH, skipped: 5 })
  t.equal(formatMemoryJsonl(parseMemoryJsonlOrThrow(text)), BYTES, 'the kept lines in the reference format')
})

t.test('a malformed line is an error naming its line number; nothing is returned', async (t) => {
  const lines = BYTES.split('\n')
  const text = [lines[0], '', lines[1], '{"type":"entity","name":"Broken",', lines[2]].join('\n')
  const parsed = parseMemoryJsonl(text)
  t.same(parsed, { ok: false, errors: [{ line: 4, message: 'not valid JSON' }], invalidLines: 1 })
  let thrown: unknown
  try {
    parseMemoryJsonlOrThrow(text)
  } catch (err) {
    thrown = err
  }
  t.ok(thrown instanceof AppError, 'an AppError')
  t.match(thrown, {
    code: 'validation_failed', detail: 'memory.jsonl line 4: not valid JSON', errors: [{ pointer: '/line/4', message: 'not valid JSON' }],
  })
})

t.test('each kind of bad line is reported with its number', async (t) => {
  const text = [
    '[1, 2]',
    '"a string"',
    '{"type":"entity","name":"x","observations":[]}',
    '{"type":"entity","name":"x","entityType":"t","observations":"not a list"}',
    '{"type":"relation","from":"a","to":7,"relationType":"r"}',
    '{"type":"entity","name":"fine","entityType":"t","observations":[]}',
  ].join('\n')
  const parsed = parseMemoryJsonl(text)
  t.equal(parsed.ok, false)
  if (parsed.ok) return
  t.same(parsed.errors.map((e) => e.line), [1, 2, 3, 4, 5])
  t.match(parsed.errors, [
    { message: 'not a JSON object' },
    { message: 'not a JSON object' },
    { message: /^invalid entity: entityType: / },
    { message: /^invalid entity: observations: / },
    { message: /^invalid relation: to: / },
  ])
  t.throws(() => parseMemoryJsonlOrThrow(text), { message: 'memory.jsonl line 1: not a JSON object (and 4 more invalid line(s))' })
})

t.test('errors are capped but all bad lines are counted', async (t) => {
  const text = Array.from({ length: MAX_JSONL_ERRORS + 5 }, () => 'nope').join('\n')
  const parsed = parseMemoryJsonl(text)
  t.equal(parsed.ok, false)
  if (parsed.ok) return
  t.equal(parsed.errors.length, MAX_JSONL_ERRORS)
  t.equal(parsed.invalidLines, MAX_JSONL_ERRORS + 5)
  t.equal(parsed.errors.at(-1)!.line, MAX_JSONL_ERRORS)
})
