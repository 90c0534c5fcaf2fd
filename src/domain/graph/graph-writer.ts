/**
 * The conditional writes behind the GraphService, all through the MemoryManager: create-only by key,
 * rewrite of an entity under `If-Match` with re-read and retry, delete by id. See graph-service.ts
 * for the guarantees they give.
 */
import { AppError } from '../../errors/app-error.js'
import type { ErrorCode } from '../../errors/error-codes.js'
import type { Caller } from '../memory/caller.js'
import type { MemoryEntry } from '../memory/memory-entry.js'
import type { KeyedMemoryInput, MemoryInput } from '../memory/memory-input.js'
import type { MemoryManager } from '../memory/memory-manager.js'
import type { Precondition } from '../memory/precondition.js'
import type { GraphReader, Stored } from './graph-reader.js'
import { assertFits, entityContent, entityMetadata, entityNotFound, ENTITY_TYPE } from './graph-records.js'
import type { Entity } from './knowledge-graph.js'

const ABSENT: Precondition = { kind: 'absent' }

/** Create attempts when the holder of a key vanishes between the conflict and its look-up. */
const CREATE_ATTEMPTS = 5

export class GraphWriter {
  constructor(
    private readonly manager: MemoryManager,
    private readonly reader: GraphReader,
    /** Conditional writes of one entity before giving up with `backend_unavailable`. */
    private readonly maxAttempts: number,
  ) {}

  /**
   * Create-only write by key (`expectVersion: 0`). True when this call added the item, false when
   * `isSame` recognises the holder of the key as the item itself; `key_conflict` when the key is held
   * by something else (an entry written through /v2).
   */
  async createOnce(caller: Caller, key: string, input: KeyedMemoryInput, isSame: (holder: MemoryEntry) => boolean, what: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.manager.putByKey(caller, key, input, ABSENT)
        return true
      } catch (err) {
        if (!isCode(err, 'version_conflict')) throw err
      }
      const holder = await this.manager.store.findByKey(caller.tool, key)
      if (holder && isSame(holder)) return false
      if (holder) throw new AppError('key_conflict', `the key ${short(key)} is held by an entry that is not this knowledge-graph ${what}`)
      if (attempt >= CREATE_ATTEMPTS) throw notSettled(what, key)
    }
  }

  /**
   * Rewrite an entity with `change` (null: nothing to write) under `If-Match` on the version read;
   * on a conflict re-read it and recompute, with a short jittered pause. An entity gone meanwhile
   * fails the call with `entity_not_found` (`fail`) or ends the rewrite (`ignore`).
   */
  async rewrite(
    caller: Caller, name: string, stored: Stored<Entity>, change: (entity: Entity) => Entity | null, gone: 'fail' | 'ignore',
  ): Promise<void> {
    let current = stored
    for (let attempt = 1; ; attempt++) {
      const next = change(current.item)
      if (next === null) return
      assertFits(entityMetadata(next), `entity ${short(name)}`)
      try {
        await this.manager.replace(caller, current.entry.id, replacement(current.entry, next), {
          kind: 'match', tags: [{ id: null, version: current.entry.version }],
        })
        return
      } catch (err) {
        if (!isCode(err, 'version_conflict')) throw err
      }
      if (attempt >= this.maxAttempts) throw notSettled('entity', name)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * attempt)))
      const fresh = await this.reader.entity(caller.tool, name)
      if (!fresh) {
        if (gone === 'fail') throw entityNotFound(name)
        return
      }
      current = fresh
    }
  }

  /** Delete by id; an entry already gone is fine. */
  async remove(caller: Caller, id: string): Promise<void> {
    try {
      await this.manager.delete(caller, id)
    } catch (err) {
      if (!isCode(err, 'not_found')) throw err
    }
  }
}

/** The entry's writable fields with the entity's new content and metadata (tags, importance, visibility and expiry kept). */
function replacement(entry: MemoryEntry, entity: Entity): MemoryInput {
  return {
    type: ENTITY_TYPE, key: entry.key, content: entityContent(entity), contentType: 'text/plain', metadata: entityMetadata(entity),
    tags: entry.tags, importance: entry.importance, visibility: entry.visibility, expiresAt: entry.expiresAt?.toISOString() ?? null,
  }
}

function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof AppError && err.code === code
}

function notSettled(what: string, name: string): AppError {
  return new AppError('backend_unavailable', `Concurrent writes of ${what} ${short(name)} did not settle; retry the request.`)
}

/** A name for messages: JSON-quoted, at most 80 characters. */
export function short(name: string): string {
  return JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name)
}
