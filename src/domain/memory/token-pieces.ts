/**
 * Counting tokens of long text in pieces. The BPE tokenizer merges within each pre-token (a word,
 * a number, a run of punctuation), and its cost grows with the square of a pre-token's length: a
 * 40,000-character run without spaces took over a second, a 1 MiB one would block the event loop
 * for minutes. So long text is counted piece by piece:
 *
 * - Pieces end just before a single space between two non-space characters, or right after a line
 *   break. The tokenizer's pre-tokenizer (o200k_base and cl100k_base alike) always starts a new
 *   pre-token there (the space becomes the next word's prefix; line breaks end their token), so
 *   such cuts change nothing: the count is exact.
 * - A run with no such place for `HARD_PIECE` characters (no spaces at all: a long identifier,
 *   base64, CJK text without spaces) is cut every `HARD_PIECE` characters (never inside a surrogate
 *   pair). Each such cut can change the count by a token or so; the cost becomes linear.
 */
import type { TokenCounter } from './token-counter.js'

/** Pieces are about this long (characters). */
const PIECE = 2048
/** A run without a safe cut is cut this often. */
export const HARD_PIECE = 256

export function countInPieces(text: string, count: TokenCounter): number {
  if (text.length <= PIECE) return count(text)
  let total = 0
  for (let start = 0; start < text.length;) {
    const end = nextCut(text, start)
    total += count(text.slice(start, end))
    start = end
  }
  return total
}

/** Where the piece starting at `start` ends. */
function nextCut(text: string, start: number): number {
  const limit = start + PIECE
  if (limit >= text.length) return text.length
  let sawSpace = false
  for (let i = limit; i > start; i--) {
    if (isSafeCut(text, i)) return i
    if (isSpace(text.charCodeAt(i))) sawSpace = true
    // A stretch of HARD_PIECE characters without any whitespace: cut the run hard.
    if (!sawSpace && limit - i >= HARD_PIECE) break
  }
  let end = Math.min(start + HARD_PIECE, text.length)
  if (isHighSurrogate(text.charCodeAt(end - 1))) end--
  return end
}

/**
 * Whether a new pre-token starts at `i` whatever surrounds it: before a single space between two
 * non-space characters, or at a non-space character right after a line break.
 */
function isSafeCut(text: string, i: number): boolean {
  const code = text.charCodeAt(i)
  const before = text.charCodeAt(i - 1)
  if (code === 32) return !isSpace(before) && i + 1 < text.length && !isSpace(text.charCodeAt(i + 1))
  return !isSpace(code) && (before === 10 || before === 13)
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
