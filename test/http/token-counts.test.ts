/**
 * Token counts in responses are the tokenizer's, pinned for known strings (ASCII, accented Latin,
 * CJK, Greek, emoji with zero-width joiners) under both encodings, so a tokenizer upgrade that
 * changes counts — and with them every token budget — is noticed.
 */
import t from 'tap'
import { as, create } from './helpers/http.js'
import { buildTestApp } from '../helpers/build-app.js'

// [content, o200k_base tokens, cl100k_base tokens], counted by gpt-tokenizer.
const KNOWN: Array<[string, number, number]> = [
  ['hello world', 2, 2],
  ['The user prefers dark mode and short answers', 8, 8],
  ['Grüße aus München', 5, 5],
  ['東京タワーは高い', 7, 10],
  ['🧠🚀 emoji test 👩‍👩‍👧', 15, 20],
  ['Ελληνικά κείμενα', 6, 16],
]

for (const [tokenizer, column] of [['o200k_base', 1], ['cl100k_base', 2]] as const) {
  t.test(`token counts with ${tokenizer}`, async (t) => {
    const app = await buildTestApp(t, { TOKENIZER: tokenizer })
    for (const row of KNOWN) {
      const entry = await create(app.server, { type: 'note', content: row[0] }, as('tokens'))
      t.equal(entry.tokens, row[column], `${JSON.stringify(row[0])}: ${row[column]} tokens`)
    }
  })
}
