/** Domain entry → /v2 wire JSON (RFC 3339 timestamps), and conditional-request headers → preconditions. */
import type { ContextAnswer } from '../../domain/context/context-service.js'
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { identityTag, versionTag, type EntityTag, type Precondition } from '../../domain/memory/precondition.js'
import { AppError } from '../../errors/app-error.js'

export type WireEntry = Omit<MemoryEntry, 'createdAt' | 'updatedAt' | 'expiresAt' | 'lastAccessedAt'> & {
  createdAt: string
  updatedAt: string
  expiresAt: string | null
  lastAccessedAt: string | null
}

export function toWire(entry: MemoryEntry): WireEntry {
  return {
    ...entry,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    expiresAt: entry.expiresAt?.toISOString() ?? null,
    lastAccessedAt: entry.lastAccessedAt?.toISOString() ?? null,
  }
}

/** A written entry on the wire: with `evicted` when the tool's token budget evicted entries for it. */
export function toWrittenWire(outcome: { entry: MemoryEntry; evicted: string[] }): WireEntry & { evicted?: string[] } {
  const wire = toWire(outcome.entry)
  return outcome.evicted.length > 0 ? { ...wire, evicted: outcome.evicted } : wire
}

/** A context answer on the wire: its entries in wire form. */
export function toContextWire(answer: ContextAnswer) {
  return { ...answer, items: answer.items.map((i) => ({ entry: toWire(i.entry), score: i.score, tokens: i.tokens })) }
}

export { identityTag, versionTag }

const TAG = /^(W\/)?"(?:([0-9a-f-]{36})\.)?(\d{1,9})"$/

/** Entity tags of a header list; weak tags are kept apart because If-Match compares strongly. */
function parseTags(header: string): { strong: EntityTag[]; weak: EntityTag[] } {
  const strong: EntityTag[] = []
  const weak: EntityTag[] = []
  for (const part of header.split(',')) {
    const match = TAG.exec(part.trim())
    if (!match) continue // not one of our tags: it can never match
    const tag = { id: match[2] ?? null, version: Number(match[3]) }
    ;(match[1] ? weak : strong).push(tag)
  }
  return { strong, weak }
}

/**
 * The precondition of a write from `If-Match` and `If-None-Match`. `If-Match: *` → the entry must
 * exist; `If-None-Match: *` → it must not (create only; by-key upserts). A list matches when any
 * strong tag matches; tags we never issued and weak tags never match (RFC 9110 §13.1.1).
 */
export function writePrecondition(ifMatch: string | undefined, ifNoneMatch?: string): Precondition {
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new AppError('validation_failed', 'send If-Match or If-None-Match, not both')
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new AppError('validation_failed', 'only If-None-Match: * is supported on writes')
    return { kind: 'absent' }
  }
  if (ifMatch === undefined) return { kind: 'none' }
  if (ifMatch.trim() === '*') return { kind: 'exists' }
  return { kind: 'match', tags: parseTags(ifMatch).strong }
}

/** `If-None-Match` on a read: weak comparison (RFC 9110 §13.1.2); `*` matches any entry. */
export function ifNoneMatchHits(header: string | undefined, entry: MemoryEntry): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  const { strong, weak } = parseTags(header)
  return [...strong, ...weak].some((t) => t.version === entry.version && (t.id === null || t.id === entry.id))
}

export function assertNever(value: never): never {
  throw new AppError('internal', `unexpected ${String(value)}`)
}
