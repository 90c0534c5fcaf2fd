/**
 * Token counting with a real BPE tokenizer (gpt-tokenizer). o200k_base is the encoding of current
 * OpenAI models and a fair proxy for others; cl100k_base is offered for older budgets.
 * Counting happens once per write, never on reads; long text is counted in pieces
 * (token-pieces.ts), exactly except inside runs of more than 256 characters without whitespace.
 */
import { countInPieces } from './token-pieces.js'
export const TOKENIZERS = ['o200k_base', 'cl100k_base'] as const
export type TokenizerName = (typeof TOKENIZERS)[number]

export type TokenCounter = (text: string) => number

export async function loadTokenCounter(name: TokenizerName): Promise<TokenCounter> {
  // Each encoding module carries its own rank table (several MB); load only the one in use.
  const mod =
    name === 'o200k_base'
      ? await import('gpt-tokenizer/encoding/o200k_base')
      : await import('gpt-tokenizer/encoding/cl100k_base')
  const count: TokenCounter = (text) => (text.length === 0 ? 0 : mod.countTokens(text))
  // Long text in pieces: the tokenizer's cost grows with the square of a word's length.
  return (text) => countInPieces(text, count)
}
