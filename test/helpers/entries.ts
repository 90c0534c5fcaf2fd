/** Valid `MemoryEntry` values for tests. */
import { randomBytes } from 'node:crypto'
import { contentHash } from '../../src/domain/memory/content-hash.js'
import { newId } from '../../src/domain/memory/ids.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'

/**
 * A valid entry: a fresh UUIDv7 id, tool `tool-a`, type `fact`, unique random content, version 1,
 * created now, never expiring. `contentHash` is always computed from the final content (an
 * override of it is ignored) and `tokens` defaults to the content's word count.
 */
export function makeEntry(overrides: Partial<MemoryEntry> = {}): MemoryEntry {
  const content = overrides.content ?? `note ${randomBytes(8).toString('hex')}`
  const now = new Date()
  return {
    id: newId(),
    tool: 'tool-a',
    type: 'fact',
    key: null,
    contentType: 'text/plain',
    metadata: {},
    tags: [],
    importance: 0.5,
    visibility: 'private',
    tokens: roughTokens(content),
    version: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: null,
    lastAccessedAt: null,
    accessCount: 0,
    ...overrides,
    content,
    contentHash: contentHash(content),
  }
}

/** A rough token count: whitespace-separated words. */
export function roughTokens(content: string): number {
  return content.split(/\s+/).filter((w) => w.length > 0).length
}
