/**
 * The neutral memory entry model (design §3). Wire codecs (/v1, /v2) translate to and from it;
 * stores persist it. Timestamps are `Date` here and RFC 3339 strings on the wire.
 */

export const CONTENT_TYPES = ['text/plain', 'text/markdown', 'application/json'] as const
export type ContentType = (typeof CONTENT_TYPES)[number]

export const VISIBILITIES = ['private', 'shared'] as const
export type Visibility = (typeof VISIBILITIES)[number]

/** `[a-z0-9][a-z0-9_.-]{0,63}` — entry types such as fact, preference, episode. */
export const TYPE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/
/** Tool (namespace) names; also used in `X-Memory-Tool` and `MEMORY_API_KEYS`. */
export const TOOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
/** A tag: 1–64 characters, no whitespace, no comma. */
export const TAG_PATTERN = /^[^\s,]{1,64}$/
/** `sha256:` + 64 lowercase hex digits. */
export const CONTENT_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/

export const MAX_TAGS = 64
export const MAX_METADATA_BYTES = 64 * 1024
export const MAX_KEY_LENGTH = 256

export interface MemoryEntry {
  /** UUIDv7, assigned by the server; time-ordered. */
  id: string
  /** Owning tool (namespace). */
  tool: string
  type: string
  /** Optional key, unique per tool among live entries. */
  key: string | null
  content: string
  contentType: ContentType
  metadata: Record<string, unknown>
  tags: string[]
  /** 0..1 */
  importance: number
  visibility: Visibility
  /** `sha256:` + hex of the UTF-8 content. */
  contentHash: string
  /** Token count of `content` with the configured tokenizer. */
  tokens: number
  /** 1 on create, +1 per change. */
  version: number
  createdAt: Date
  updatedAt: Date
  /** Null for entries that never expire. An entry is expired when `expiresAt <= now`. */
  expiresAt: Date | null
  lastAccessedAt: Date | null
  accessCount: number
}

/** A delete carried to the other side of a migration: "this id is gone as of `version`". */
export interface Tombstone {
  tool: string
  id: string
  /** The version the entry would have had after the delete (stored version + 1). */
  version: number
  deletedAt: Date
}

/** What `applyMirror` accepts: a whole entry (newer version wins) or a tombstone. */
export type MirrorRecord = { kind: 'entry'; entry: MemoryEntry } | { kind: 'tombstone'; tombstone: Tombstone }

/** True when the entry is past its expiry at `now` (ms since epoch). */
export function isExpired(entry: Pick<MemoryEntry, 'expiresAt'>, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt.getTime() <= now
}
