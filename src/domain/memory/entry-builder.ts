/**
 * Turns validated input into a full entry: hashing, token counting and expiry are computed here,
 * once per write (design §11), and the semantic limits the schema cannot express are enforced.
 */
import { AppError } from '../../errors/app-error.js'
import { contentHash } from './content-hash.js'
import { newId } from './ids.js'
import type { MemoryEntry } from './memory-entry.js'
import type { MemoryInput } from './memory-input.js'
import type { TokenCounter } from './token-counter.js'

export interface EntryBuilderOptions {
  maxContentBytes: number
  countTokens: TokenCounter
  now: () => number
}

export class EntryBuilder {
  constructor(private readonly options: EntryBuilderOptions) {}

  /** A new entry (version 1) for `tool`. */
  build(tool: string, input: MemoryInput): MemoryEntry {
    const now = new Date(this.options.now())
    return {
      id: newId(),
      tool,
      ...this.derived(input, now),
      version: 1,
      createdAt: now,
      updatedAt: now,
      lastAccessedAt: null,
      accessCount: 0,
    }
  }

  /** The replacement of `current` by `input`; the store assigns the next version. */
  replace(current: MemoryEntry, input: MemoryInput): MemoryEntry {
    const now = new Date(this.options.now())
    // Unchanged content keeps its hash and token count: no re-hash or re-tokenise of 1 MiB for a tag edit.
    const reuse = current.contentHash !== '' && current.content === input.content ? current : undefined
    return { ...current, ...this.derived(input, now, reuse), updatedAt: now }
  }

  /** True when `next` changes no writable field of `current` (a no-op patch). */
  static sameWritable(current: MemoryEntry, next: MemoryEntry): boolean {
    return (
      current.content === next.content &&
      current.contentType === next.contentType &&
      current.type === next.type &&
      current.key === next.key &&
      current.importance === next.importance &&
      current.visibility === next.visibility &&
      (current.expiresAt?.getTime() ?? null) === (next.expiresAt?.getTime() ?? null) &&
      JSON.stringify(current.tags) === JSON.stringify(next.tags) &&
      JSON.stringify(current.metadata) === JSON.stringify(next.metadata)
    )
  }

  /** The writable view of an entry, the base document for JSON merge patch. */
  static writable(entry: MemoryEntry): Record<string, unknown> {
    return {
      type: entry.type,
      key: entry.key,
      content: entry.content,
      contentType: entry.contentType,
      metadata: entry.metadata,
      tags: entry.tags,
      importance: entry.importance,
      visibility: entry.visibility,
      expiresAt: entry.expiresAt?.toISOString() ?? null,
    }
  }

  private derived(input: MemoryInput, now: Date, reuse?: Pick<MemoryEntry, 'contentHash' | 'tokens'>) {
    const bytes = Buffer.byteLength(input.content, 'utf8')
    if (bytes > this.options.maxContentBytes) {
      throw new AppError('content_too_large', `content is ${bytes} bytes; the limit is ${this.options.maxContentBytes}`, {
        extensions: { limit: this.options.maxContentBytes, size: bytes },
      })
    }
    if (input.contentType === 'application/json') {
      try {
        JSON.parse(input.content)
      } catch {
        throw new AppError('invalid_content', 'contentType is application/json but content is not valid JSON')
      }
    }
    return {
      type: input.type,
      key: input.key,
      content: input.content,
      contentType: input.contentType,
      metadata: input.metadata,
      tags: [...new Set(input.tags)],
      importance: input.importance,
      visibility: input.visibility,
      contentHash: reuse?.contentHash ?? contentHash(input.content),
      tokens: reuse?.tokens ?? this.options.countTokens(input.content),
      expiresAt: resolveExpiry(input, now),
    }
  }
}

function resolveExpiry(input: MemoryInput, now: Date): Date | null {
  if (input.ttlSeconds !== undefined && input.expiresAt !== null) {
    throw new AppError('validation_failed', 'give either expiresAt or ttlSeconds, not both', {
      errors: [{ pointer: '/body/ttlSeconds', message: 'conflicts with expiresAt' }],
    })
  }
  if (input.ttlSeconds !== undefined) return new Date(now.getTime() + input.ttlSeconds * 1000)
  if (input.expiresAt === null) return null
  const at = new Date(input.expiresAt)
  if (at.getTime() <= now.getTime()) {
    throw new AppError('validation_failed', 'expiresAt must be in the future', {
      errors: [{ pointer: '/body/expiresAt', message: 'must be in the future' }],
    })
  }
  return at
}
