/**
 * The stored entry as JSON (dates as ISO strings, fixed key order) and its zod schema. One schema
 * serves `schema-verify` (rows read from a store) and `import` (lines of a backup), so a row that
 * passes one passes the other.
 */
import { z } from 'zod'
import { contentHash } from '../../domain/memory/content-hash.js'
import {
  CONTENT_HASH_PATTERN, CONTENT_TYPES, MAX_KEY_LENGTH, MAX_TAGS, type MemoryEntry, TAG_PATTERN, TOOL_PATTERN,
  TYPE_PATTERN, VISIBILITIES,
} from '../../domain/memory/memory-entry.js'
import { MetadataSchema, safeText } from '../../domain/memory/memory-input.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const date = z.iso.datetime({ offset: true })
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

export const StoredEntryJsonSchema = z.strictObject({
  id: z.string().regex(UUID, 'must be a lowercase canonical UUID'),
  tool: z.string().regex(TOOL_PATTERN, 'must match TOOL_PATTERN'),
  type: z.string().regex(TYPE_PATTERN, 'must match TYPE_PATTERN'),
  key: z.string().min(1).max(MAX_KEY_LENGTH).refine(safeText, 'must be well-formed text').nullable(),
  content: z.string().refine(safeText, 'must be well-formed Unicode without NUL characters'),
  contentType: z.enum(CONTENT_TYPES),
  metadata: MetadataSchema,
  tags: z.array(z.string().regex(TAG_PATTERN, 'must match TAG_PATTERN')).max(MAX_TAGS),
  importance: z.number().min(0).max(1),
  visibility: z.enum(VISIBILITIES),
  contentHash: z.string().regex(CONTENT_HASH_PATTERN, 'must be sha256: + 64 hex digits'),
  tokens: count,
  version: z.number().int().min(1).max(2_147_483_647),
  createdAt: date,
  updatedAt: date,
  expiresAt: date.nullable(),
  lastAccessedAt: date.nullable(),
  accessCount: count,
}).superRefine((e, ctx) => {
  if (e.contentHash !== contentHash(e.content)) {
    ctx.addIssue({ code: 'custom', path: ['contentHash'], message: 'does not match the hash of content' })
  }
  if (Date.parse(e.updatedAt) < Date.parse(e.createdAt)) {
    ctx.addIssue({ code: 'custom', path: ['updatedAt'], message: 'is before createdAt' })
  }
  if (e.contentType === 'application/json' && !parses(e.content)) {
    ctx.addIssue({ code: 'custom', path: ['content'], message: 'is not valid JSON (contentType application/json)' })
  }
})

export type StoredEntryJson = z.infer<typeof StoredEntryJsonSchema>

/** Every field in the model's order; dates as ISO strings. Access stats included. */
export function entryToJson(e: MemoryEntry): StoredEntryJson {
  return {
    id: e.id, tool: e.tool, type: e.type, key: e.key, content: e.content, contentType: e.contentType,
    metadata: e.metadata, tags: e.tags, importance: e.importance, visibility: e.visibility,
    contentHash: e.contentHash, tokens: e.tokens, version: e.version,
    createdAt: iso(e.createdAt), updatedAt: iso(e.updatedAt), expiresAt: isoOrNull(e.expiresAt),
    lastAccessedAt: isoOrNull(e.lastAccessedAt), accessCount: e.accessCount,
  }
}

export function entryFromJson(j: StoredEntryJson): MemoryEntry {
  return {
    ...j,
    metadata: j.metadata as Record<string, unknown>,
    createdAt: new Date(j.createdAt), updatedAt: new Date(j.updatedAt),
    expiresAt: j.expiresAt === null ? null : new Date(j.expiresAt),
    lastAccessedAt: j.lastAccessedAt === null ? null : new Date(j.lastAccessedAt),
  }
}

/** Problems of a value as `path: message` lines; empty when it is a valid stored entry. */
export function storedEntryProblems(value: unknown, maxContentBytes?: number): string[] {
  const result = StoredEntryJsonSchema.safeParse(value)
  const problems = result.success
    ? []
    : result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(entry)'}: ${i.message}`)
  const content = (value as { content?: unknown } | null)?.content
  if (maxContentBytes !== undefined && typeof content === 'string' && Buffer.byteLength(content, 'utf8') > maxContentBytes) {
    problems.push(`content: larger than ${maxContentBytes} bytes`)
  }
  return problems
}

/** A Date that is invalid (e.g. from a corrupt row) becomes a string the schema rejects, not a throw. */
function iso(d: Date): string {
  return Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString()
}

function isoOrNull(d: Date | null): string | null {
  return d === null ? null : iso(d)
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
