// The generated data set of the context benchmark: English-like texts from words.ts, UUIDv7 ids and
// the rows as the service stores them.
import { createHash } from 'node:crypto'
import type { compressionPolicy } from '../../src/compression/content-codec.js'
import type { TokenCounter } from '../../src/domain/memory/token-counter.js'
import { storeContent } from '../../src/storage/sql/stored-content.js'
import { prng } from '../shared/stats.js'
import { COMMON_WORDS, SEED_TAGS, SEED_TYPES, TOPIC_WORDS } from '../words.js'
import { COMMON_WORD, RARE_ENTRIES, RARE_WORD, settings } from './settings.js'

const DAY_MS = 86_400_000
const SPAN_MS = 90 * DAY_MS

export function checkVocabulary(): void {
  for (const w of [...COMMON_WORDS, ...TOPIC_WORDS]) {
    if (w.includes(RARE_WORD)) throw new Error(`rare word ${RARE_WORD} occurs in the vocabulary (${w})`)
  }
  if (TOPIC_WORDS[0] !== COMMON_WORD) throw new Error(`the common word must be the first (most frequent) topic word, ${TOPIC_WORDS[0]}`)
}

function word(random: () => number): string {
  return random() < 0.35
    ? COMMON_WORDS[Math.floor(random() * COMMON_WORDS.length)]!
    : TOPIC_WORDS[Math.floor(random() * random() * TOPIC_WORDS.length)]!
}

/** Sentences until about `target` tokens (o200k: ~1.05 tokens per word, +1 per full stop). */
function text(random: () => number, target: number, rare: boolean): string {
  const sentences: string[] = []
  let estimate = 0
  let plantAt = rare ? Math.floor(random() * 3) : -1
  while (estimate < target) {
    const n = 5 + Math.floor(random() * 12)
    const words: string[] = []
    for (let k = 0; k < n && estimate + k * 1.05 < target + 2; k++) words.push(word(random))
    if (plantAt === 0) words.splice(Math.floor(random() * words.length), 0, RARE_WORD)
    plantAt--
    const first = words[0]!
    words[0] = first[0]!.toUpperCase() + first.slice(1)
    sentences.push(`${words.join(' ')}.`)
    estimate += words.length * 1.05 + 1
  }
  if (plantAt >= 0) sentences.push(`Seen a ${RARE_WORD}.`)
  return sentences.join(' ')
}

/** UUIDv7 of `ms` with random bits from `random`. */
function uuidV7(ms: number, random: () => number): string {
  const hex = (digits: number) => {
    let s = ''
    for (let i = 0; i < digits; i++) s += Math.floor(random() * 16).toString(16)
    return s
  }
  const time = ms.toString(16).padStart(12, '0')
  const variant = (8 + Math.floor(random() * 4)).toString(16)
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}

export interface SeedRow {
  id: string
  type: string
  text: string
  tags: string
  importance: number
  visibility: string
  hash: string
  tokens: number
  created: string
  updated: string
  expires: string | null
  codec: string | null
  blobHex: string | null
}

/** Rows [from, to) of a data set of `size` entries ending at `now`. */
export async function generate(from: number, to: number, size: number, now: number, count: TokenCounter, policy: ReturnType<typeof compressionPolicy>, other: boolean): Promise<SeedRow[]> {
  const rareEvery = size / RARE_ENTRIES
  const rows: SeedRow[] = []
  for (let i = from; i < to; i++) {
    const random = prng(i * 2654435761 + (other ? 1_000_003 : 17))
    // Rare entries: one in each 1/RARE_ENTRIES of the range (the same count at every size).
    const rare = !other && Math.floor((i + 0.5) / rareEvery) !== Math.floor((i - 0.5) / rareEvery)
    const target = Math.round(20 * Math.pow(20, random()))
    const content = text(random, target, rare)
    const createdMs = Math.floor(now - SPAN_MS + ((i + random()) * SPAN_MS) / size)
    const updatedMs = random() < 0.1 ? Math.floor(createdMs + random() * (now - createdMs)) : createdMs
    const tagCount = Math.floor(random() * 4)
    const tags = new Set<string>()
    for (let k = 0; k < tagCount; k++) tags.add(SEED_TAGS[Math.floor(Math.pow(random(), 1.5) * SEED_TAGS.length)]!)
    const stored = await storeContent(content, policy)
    rows.push({
      id: uuidV7(createdMs, random),
      type: SEED_TYPES[Math.floor(Math.pow(random(), 1.6) * SEED_TYPES.length)]!,
      text: stored.text,
      tags: [...tags].join(','),
      importance: random() < 0.3 ? 0.5 : Math.round(random() * 100) / 100,
      visibility: random() * 100 < settings.sharedPercent ? 'shared' : 'private',
      hash: 'sha256:' + createHash('sha256').update(content, 'utf8').digest('hex'),
      tokens: count(content),
      created: new Date(createdMs).toISOString(),
      updated: new Date(updatedMs).toISOString(),
      expires: random() < 0.03 ? new Date(now + (1 + random() * 29) * DAY_MS).toISOString() : null,
      codec: stored.codec,
      blobHex: stored.blob === null ? null : stored.blob.toString('hex'),
    })
  }
  return rows
}
