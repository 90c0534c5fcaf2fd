/**
 * Long text is counted in pieces (src/domain/memory/token-pieces.ts): exactly the tokenizer's
 * count wherever whitespace allows a safe cut, and never a piece longer than 2,048 characters, so
 * the tokenizer's quadratic cost on long pre-tokens cannot be triggered by one write.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadTokenCounter, TOKENIZERS } from '../../src/domain/memory/token-counter.js'
import { countInPieces, HARD_PIECE } from '../../src/domain/memory/token-pieces.js'

/** A seeded PRNG (mulberry32), so failures repeat. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['memory', 'token', 'budget', 'naïve', 'Ünïcödé', '東京', '🙂', '👩‍💻', '42', '3.14', '—', '"quoted"', "it's", 'x'.repeat(30)]
const SEPARATORS = [' ', ' ', ' ', '  ', '\n', '\n\n', '\t', ' \n', '. ', ', ', '\r\n', '\u00a0']

function randomText(random: () => number, length: number): string {
  let text = ''
  while (text.length < length) {
    text += WORDS[Math.floor(random() * WORDS.length)]! + SEPARATORS[Math.floor(random() * SEPARATORS.length)]!
  }
  return text
}

for (const name of TOKENIZERS) {
  t.test(`${name}: the count in pieces equals the tokenizer's own count`, async (t) => {
    const mod = name === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base')
    const count = await loadTokenCounter(name)
    const files = ['README.md', 'docs/troubleshooting.md', 'src/app.ts', 'openapi/v2.json', 'migrations/0004_tools_budgets.sql']
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      t.equal(count(text), mod.countTokens(text), `${file} (${text.length} characters)`)
    }
    const random = prng(name.length * 7919)
    for (let i = 0; i < 25; i++) {
      const text = randomText(random, 2_000 + Math.floor(random() * 20_000))
      t.equal(count(text), mod.countTokens(text), `random text ${i} (${text.length} characters)`)
    }
    const cjk = '天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏'.repeat(200)
    t.equal(count(cjk), mod.countTokens(cjk), 'CJK without spaces (cut hard, same count here)')
  })
}

t.test('no piece is longer than 2,048 characters, whatever the text', async (t) => {
  const pieces: string[] = []
  const record = (piece: string) => {
    pieces.push(piece)
    return piece.length
  }
  const texts = {
    'one run of a single character': 'x'.repeat(1_000_000),
    'emoji without spaces': '🧭'.repeat(50_000),
    'a run, then prose': 'A'.repeat(10_000) + ' and then ' + 'words '.repeat(5_000),
    'only whitespace': ' \n\t'.repeat(20_000),
  }
  for (const [label, text] of Object.entries(texts)) {
    pieces.length = 0
    t.equal(countInPieces(text, record), text.length, `${label}: the pieces cover the text exactly`)
    t.equal(pieces.join(''), text, `${label}: in order`)
    t.ok(pieces.every((p) => p.length <= 2_048), `${label}: longest piece ${Math.max(...pieces.map((p) => p.length))}`)
    t.notOk(pieces.some((p) => /^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)), `${label}: no surrogate pair is split`)
  }
  t.equal(HARD_PIECE, 256)
})
