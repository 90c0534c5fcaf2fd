/**
 * How knowledge-graph items are kept as v2 entries (see graph-service.ts for the whole layout):
 * keys, tags, contents and metadata of entities and relations, and the way back from an entry.
 * Pure functions; the entry's metadata is the source of truth when reading.
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../errors/app-error.js'
import { MAX_KEY_LENGTH, MAX_METADATA_BYTES, type MemoryEntry } from '../memory/memory-entry.js'
import { safeText, type KeyedMemoryInput } from '../memory/memory-input.js'
import type { Entity, Relation } from './knowledge-graph.js'

export const ENTITY_TYPE = 'kg.entity'
export const RELATION_TYPE = 'kg.relation'

const ENTITY_PREFIX = 'entity:'
const HASHED_ENTITY_PREFIX = 'entity#'
const RELATION_PREFIX = 'relation:'

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** `entity:<name>` when it fits MAX_KEY_LENGTH, else `entity#<sha256 hex of name>` (the prefixes never collide). */
export function entityKey(name: string): string {
  const plain = ENTITY_PREFIX + name
  return plain.length <= MAX_KEY_LENGTH ? plain : HASHED_ENTITY_PREFIX + sha256Hex(name)
}

/** `relation:<sha256 hex of the JSON array [from, to, relationType]>`: one key per exact triple. */
export function relationKey(relation: Relation): string {
  return RELATION_PREFIX + sha256Hex(JSON.stringify([relation.from, relation.to, relation.relationType]))
}

/** The tag on every relation whose `from` is `name`: `kgf:` + the first 16 hex digits of sha256(name). */
export function fromTag(name: string): string {
  return 'kgf:' + sha256Hex(name).slice(0, 16)
}

/** The tag on every relation whose `to` is `name`: `kgt:` + the first 16 hex digits of sha256(name). */
export function toTag(name: string): string {
  return 'kgt:' + sha256Hex(name).slice(0, 16)
}

/** Plain text for /v2 search: the name, the type and each observation on a line of its own. */
/** The entity's search text: name, type and observations, one per line, lowercased (graph-search.ts says why). */
export function entityContent(entity: Entity): string {
  return [entity.name, entity.entityType, ...entity.observations].join('\n').toLowerCase()
}

export function relationContent(relation: Relation): string {
  return `${relation.from}\n${relation.relationType}\n${relation.to}`
}

/** `values` without repeats, first occurrence kept, order otherwise unchanged. */
export function distinct<T>(values: readonly T[], identity: (value: T) => string = String): T[] {
  const seen = new Set<string>()
  return values.filter((value) => {
    const id = identity(value)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

export function tripleOf(relation: Relation): string {
  return JSON.stringify([relation.from, relation.to, relation.relationType])
}

/** A fresh copy holding exactly the model's fields (callers may pass objects with more). */
export function cleanEntity(entity: Entity): Entity {
  return { name: entity.name, entityType: entity.entityType, observations: [...entity.observations] }
}

export function cleanRelation(relation: Relation): Relation {
  return { from: relation.from, to: relation.to, relationType: relation.relationType }
}

/** The writable fields of a new entity entry (the key comes from `entityKey`). */
export function entityInput(entity: Entity): KeyedMemoryInput {
  return newInput(ENTITY_TYPE, entityContent(entity), entityMetadata(entity), [])
}

export function relationInput(relation: Relation): KeyedMemoryInput {
  return newInput(RELATION_TYPE, relationContent(relation), { ...cleanRelation(relation) },
    distinct([fromTag(relation.from), toTag(relation.to)]))
}

export function entityMetadata(entity: Entity): Record<string, unknown> {
  return { name: entity.name, entityType: entity.entityType, observations: [...entity.observations] }
}

function newInput(type: string, content: string, metadata: Record<string, unknown>, tags: string[]): KeyedMemoryInput {
  return {
    type, content, contentType: 'text/plain', metadata, tags, importance: 0.5, visibility: 'private', expiresAt: null,
  }
}

/** The entity an entry holds, or null when it is not a well-formed entity entry under its own key. */
export function entityOf(entry: MemoryEntry): Entity | null {
  if (entry.type !== ENTITY_TYPE) return null
  const { name, entityType, observations } = entry.metadata
  if (typeof name !== 'string' || typeof entityType !== 'string' || !isStringArray(observations)) return null
  if (entry.key !== entityKey(name)) return null
  return { name, entityType, observations: [...observations] }
}

/** The relation an entry holds, or null when it is not a well-formed relation entry under its own key. */
export function relationOf(entry: MemoryEntry): Relation | null {
  if (entry.type !== RELATION_TYPE) return null
  const { from, to, relationType } = entry.metadata
  if (typeof from !== 'string' || typeof to !== 'string' || typeof relationType !== 'string') return null
  const relation = { from, to, relationType }
  return entry.key === relationKey(relation) ? relation : null
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
}

/**
 * Refuse text Postgres cannot keep as given (NUL; lone surrogates would silently become U+FFFD and
 * the name would no longer match). `pointer` locates the value in the call's arguments.
 */
export function assertText(value: string, pointer: string): void {
  if (!safeText(value)) {
    throw new AppError('validation_failed', `${pointer} must be well-formed Unicode without NUL characters`, {
      errors: [{ pointer, message: 'must be well-formed Unicode without NUL characters' }],
    })
  }
}

/**
 * An entity's metadata (its name, type and observations as JSON) must fit MAX_METADATA_BYTES like
 * any entry's (backups and schema-verify check it); `content_too_large` (413) otherwise.
 */
export function assertFits(metadata: Record<string, unknown>, what: string): void {
  const size = Buffer.byteLength(JSON.stringify(metadata), 'utf8')
  if (size > MAX_METADATA_BYTES) {
    throw new AppError('content_too_large', `${what} would take ${size} bytes as JSON; the limit is ${MAX_METADATA_BYTES}`, {
      extensions: { limit: MAX_METADATA_BYTES, size },
    })
  }
}

export function entityNotFound(name: string): AppError {
  return new AppError('entity_not_found', `Entity with name ${name} not found`)
}
