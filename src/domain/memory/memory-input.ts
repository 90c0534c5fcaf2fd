/**
 * What a caller may write: the writable fields of an entry, validated with zod. Shared by the
 * domain (semantic checks) and the HTTP layer (request schemas, OpenAPI). Server-owned fields
 * (id, tool, contentHash, tokens, version, timestamps) are never accepted from clients.
 */
import { z } from 'zod'
import {
  CONTENT_TYPES, MAX_KEY_LENGTH, MAX_METADATA_BYTES, MAX_TAGS, TAG_PATTERN, TYPE_PATTERN, VISIBILITIES,
} from './memory-entry.js'

/** Postgres text cannot hold U+0000 and lone surrogates would be silently replaced: refuse both. */
export const safeText = (s: string) => !s.includes('\u0000') && s.isWellFormed()
const SAFE_TEXT_MESSAGE = 'must be well-formed Unicode without NUL characters'

export const TypeSchema = z.string().regex(TYPE_PATTERN, 'must match [a-z0-9][a-z0-9_.-]{0,63}')
export const TagSchema = z.string().regex(TAG_PATTERN, '1–64 characters, no whitespace or comma').refine(safeText, SAFE_TEXT_MESSAGE)
export const KeySchema = z.string().min(1).max(MAX_KEY_LENGTH).refine(safeText, SAFE_TEXT_MESSAGE)

/** Deepest nesting accepted in metadata and patches; deeper values would overflow recursive code. */
export const MAX_JSON_DEPTH = 32

export const MetadataSchema = z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
  // Depth first and iteratively: the other checks recurse, and must never see a 10 000-deep value.
  const problem = jsonProblem(m)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
  else if (Buffer.byteLength(JSON.stringify(m), 'utf8') > MAX_METADATA_BYTES) {
    ctx.addIssue({ code: 'custom', message: `must serialize to at most ${MAX_METADATA_BYTES} bytes of JSON` })
  }
})

/** A JSON object accepted as a merge patch (same depth and text rules as metadata). */
export const PatchSchema = z.record(z.string(), z.unknown()).superRefine((p, ctx) => {
  const problem = jsonProblem(p)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/**
 * Why a parsed JSON value is unacceptable, or null: nesting deeper than MAX_JSON_DEPTH, or a key
 * or string that fails `safeText` (jsonb rejects NUL; lone surrogates would be replaced).
 * Iterative, so hostile depth cannot overflow the stack.
 */
export function jsonProblem(root: unknown): string | null {
  const stack: [unknown, number][] = [[root, 1]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!
    if (typeof value === 'string') {
      if (!safeText(value)) return SAFE_TEXT_MESSAGE
    } else if (value !== null && typeof value === 'object') {
      if (depth > MAX_JSON_DEPTH) return `must not nest deeper than ${MAX_JSON_DEPTH} levels`
      for (const [k, v] of Object.entries(value)) {
        if (!Array.isArray(value) && !safeText(k)) return SAFE_TEXT_MESSAGE
        stack.push([v, depth + 1])
      }
    }
  }
  return null
}

/** Length limits in bytes are checked by the domain (413), not here (400). */
export const ContentSchema = z.string().refine(safeText, SAFE_TEXT_MESSAGE)

const fields = {
  type: TypeSchema.default('fact'),
  key: KeySchema.nullable().default(null),
  content: ContentSchema,
  contentType: z.enum(CONTENT_TYPES).default('text/plain'),
  metadata: MetadataSchema.default({}),
  tags: z.array(TagSchema).max(MAX_TAGS).default([]),
  importance: z.number().min(0).max(1).default(0.5),
  visibility: z.enum(VISIBILITIES).default('private'),
  /** RFC 3339 date-time with offset. */
  expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
  /** Relative expiry; mutually exclusive with expiresAt. */
  ttlSeconds: z.number().int().min(1).max(10 * 365 * 86_400).optional(),
}

/** Body of create and full replace. Unknown fields are rejected. */
export const MemoryInputSchema = z.strictObject(fields)
export type MemoryInput = z.infer<typeof MemoryInputSchema>

/** Body of PUT by-key: the key comes from the path. */
export const KeyedMemoryInputSchema = MemoryInputSchema.omit({ key: true })
export type KeyedMemoryInput = z.infer<typeof KeyedMemoryInputSchema>
