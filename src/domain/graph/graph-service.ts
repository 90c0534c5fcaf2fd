/**
 * GraphService: the reference MCP memory server's knowledge graph (issue 5, design §5) kept as v2
 * entries of the calling tool, so `/v2` lists and searches them too. Writes go through the
 * MemoryManager (scopes, hashing, token counts, preconditions; graph-writer.ts); reads go to the
 * store (graph-reader.ts) after the same scope check.
 *
 * Storage layout (graph-records.ts):
 * - Entity: type `kg.entity`, key `entity:<name>` (or `entity#<sha256(name)>` beyond MAX_KEY_LENGTH),
 *   text/plain content = name, entityType and each observation joined by '\n' (for /v2 search; no JSON
 *   keys to match), metadata `{name, entityType, observations}`: the source of truth when reading.
 * - Relation: type `kg.relation`, key `relation:<sha256 of JSON [from, to, relationType]>`, content
 *   `from\nrelationType\nto`, metadata `{from, to, relationType}`, tags `kgf:<16 hex of sha256(from)>`
 *   and `kgt:<… of to>`, so the relations of a name are found through the tag index.
 * - Names compare exactly (case- and whitespace-sensitive); relations are not checked against
 *   entities (dangling relations are stored and returned).
 * - Order: insertion order is id order (UUIDv7, assigned in call order). read_graph gives entities,
 *   then relations, each by ascending id; open_nodes and search_nodes give storage order too.
 * - An entry edited through /v2 so that its metadata no longer describes an item under its own key
 *   is ignored by every graph read. Graph reads see the caller's own tool only (no grants, no shared
 *   entries of other tools) and are not counted as accesses.
 *
 * Concurrency (the reference loses updates when calls overlap; we never do):
 * - create_entities / create_relations write each new item create-only by key (`If-None-Match: *`,
 *   `expectVersion: 0`): of concurrent identical creates exactly one adds the item. An existing name
 *   or triple is skipped (not merged). A key held by an entry that is not a graph item of that name
 *   (written through /v2) fails the item with `key_conflict`, after earlier items were written.
 * - add_observations resolves every entity first and fails with `entity_not_found` ("Entity with
 *   name <name> not found") before writing anything; size limits are also checked up front. Then
 *   each entity is rewritten under `If-Match` on the version read; on a version conflict it is re-read
 *   and the change recomputed (bounded retries, then `backend_unavailable`), so `addedObservations`
 *   lists only what this call added. A concurrent *delete* of an entity between the check and its
 *   write still fails the call with `entity_not_found` midway: entities written before it keep the
 *   additions. delete_observations rewrites the same way; an entity deleted meanwhile is a no-op.
 * - delete_entities deletes each named entity and every relation from or to one of the names (found
 *   through the tags, even when no such entity exists). A relation created concurrently with the
 *   delete may survive it, dangling, as any relation may.
 *
 * Deliberate deviations (docs/migrating-from-v1.md): duplicates inside one call collapse, first wins
 * (entities by name, relations by triple, observations within an entity or an add_observations item);
 * read_graph accepts `limit` and `cursor` (graph-cursor.ts); an entity holds at most MAX_METADATA_BYTES
 * (64 KiB) of JSON (name, type and observations), beyond which the write fails with
 * `content_too_large`; text must be well-formed Unicode without NUL (`validation_failed`).
 *
 * Limits of the implementation:
 * - search_nodes narrows candidates with `EntryFilter.contains` (graph-search.ts), and SQL stores
 *   match it on the first 4 096 characters of a compressed content only. An entity whose content is
 *   stored compressed (above COMPRESSION_MIN_BYTES, 1 KiB by default, when compressing pays) is
 *   therefore found only by text within its first 4 096 characters (its name, its type and its
 *   earliest observations): a query matching nothing but a later observation misses it. read_graph,
 *   open_nodes and the in-memory store are not affected.
 * - Unpaged reads are not snapshots: writes that land while a large graph is read may show in part.
 * - Paged read_graph walks the tool's entries in (tool, id) order with `scan`, stepping over entries
 *   of other types, so a page costs in proportion to the tool's entries it passes; under a traffic
 *   split, `scan` reads the whole-store side (blue until green serves every read).
 */
import { AppError } from '../../errors/app-error.js'
import { requireScope, type Caller } from '../memory/caller.js'
import type { MemoryEntry } from '../memory/memory-entry.js'
import type { MemoryManager } from '../memory/memory-manager.js'
import { decodeGraphCursor, encodeGraphCursor, GRAPH_START } from './graph-cursor.js'
import { mapLimit } from '../../shared/async.js'
import { GraphReader, type Stored } from './graph-reader.js'
import {
  assertFits, assertText, cleanEntity, cleanRelation, distinct, entityInput, entityKey, entityMetadata, entityNotFound,
  entityOf, relationInput, relationKey, relationOf, tripleOf,
} from './graph-records.js'
import { entityMatches, prefilterNeedle } from './graph-search.js'
import { GraphWriter, short } from './graph-writer.js'
import type {
  Entity, GraphPage, KnowledgeGraph, KnowledgeGraphService, ObservationAddition, ObservationDeletion, ObservationResult,
  Relation,
} from './knowledge-graph.js'

export interface GraphServiceOptions {
  /** Entries per store page when a whole set is read. @default 500 */
  pageSize?: number
  /** Names whose relations are found by tag lookups before reading all relations instead. @default 32 */
  tagLookupNames?: number
  /** Conditional writes of one entity before giving up with `backend_unavailable`. @default 100 */
  maxAttempts?: number
}

/** Lookups in flight at once per call. */
const CONCURRENCY = 8

export class GraphService implements KnowledgeGraphService {
  private readonly reader: GraphReader
  private readonly writer: GraphWriter

  constructor(manager: MemoryManager, options: GraphServiceOptions = {}) {
    this.reader = new GraphReader(manager.store, { pageSize: options.pageSize ?? 500, tagLookupNames: options.tagLookupNames ?? 32 })
    this.writer = new GraphWriter(manager, this.reader, options.maxAttempts ?? 100)
  }

  async createEntities(caller: Caller, entities: Entity[]): Promise<Entity[]> {
    requireScope(caller, 'write')
    entities.forEach((e, i) => {
      assertText(e.name, `/entities/${i}/name`)
      assertText(e.entityType, `/entities/${i}/entityType`)
      e.observations.forEach((o, j) => assertText(o, `/entities/${i}/observations/${j}`))
    })
    const wanted = distinct(entities, (e) => e.name).map((e) => ({ ...cleanEntity(e), observations: distinct(e.observations) }))
    for (const entity of wanted) assertFits(entityMetadata(entity), `entity ${short(entity.name)}`)
    const added: Entity[] = []
    for (const entity of wanted) {
      const isSame = (holder: MemoryEntry) => entityOf(holder)?.name === entity.name
      if (await this.writer.createOnce(caller, entityKey(entity.name), entityInput(entity), isSame, 'entity')) added.push(entity)
    }
    return added
  }

  async createRelations(caller: Caller, relations: Relation[]): Promise<Relation[]> {
    requireScope(caller, 'write')
    relations.forEach((r, i) => {
      for (const field of ['from', 'to', 'relationType'] as const) assertText(r[field], `/relations/${i}/${field}`)
    })
    const wanted = distinct(relations, tripleOf).map(cleanRelation)
    for (const relation of wanted) assertFits({ ...relation }, `relation ${short(relation.from)} → ${short(relation.to)}`)
    const added: Relation[] = []
    for (const relation of wanted) {
      const isSame = (holder: MemoryEntry) => {
        const stored = relationOf(holder)
        return stored !== null && tripleOf(stored) === tripleOf(relation)
      }
      if (await this.writer.createOnce(caller, relationKey(relation), relationInput(relation), isSame, 'relation')) added.push(relation)
    }
    return added
  }

  async addObservations(caller: Caller, additions: ObservationAddition[]): Promise<ObservationResult[]> {
    requireScope(caller, 'write')
    additions.forEach((a, i) => {
      assertText(a.entityName, `/observations/${i}/entityName`)
      a.contents.forEach((c, j) => assertText(c, `/observations/${i}/contents/${j}`))
    })
    const names = distinct(additions.map((a) => a.entityName))
    const found = await mapLimit(names, CONCURRENCY, (name) => this.reader.entity(caller.tool, name))
    const missing = names.findIndex((_, i) => found[i] === null)
    if (missing >= 0) throw entityNotFound(names[missing]!)

    const results: ObservationResult[] = additions.map((a) => ({ entityName: a.entityName, addedObservations: [] }))
    /** Applies the items of `name` in call order, each seeing the earlier ones; fills their results. */
    const apply = (name: string) => (entity: Entity): Entity | null => {
      const observations = [...entity.observations]
      const present = new Set(observations)
      additions.forEach((a, i) => {
        if (a.entityName !== name) return
        const added = distinct(a.contents).filter((c) => !present.has(c))
        for (const c of added) present.add(c)
        observations.push(...added)
        results[i] = { entityName: a.entityName, addedObservations: added }
      })
      return observations.length === entity.observations.length ? null : { ...entity, observations }
    }
    // Limits are checked on what was read, before any write, so an oversized call keeps nothing.
    names.forEach((name, i) => {
      const next = apply(name)(found[i]!.item)
      if (next) assertFits(entityMetadata(next), `entity ${short(name)}`)
    })
    for (const [i, name] of names.entries()) await this.writer.rewrite(caller, name, found[i]!, apply(name), 'fail')
    return results
  }

  async deleteEntities(caller: Caller, names: string[]): Promise<void> {
    requireScope(caller, 'write')
    names.forEach((name, i) => assertText(name, `/entityNames/${i}`))
    const unique = distinct(names)
    for (const stored of await this.reader.entitiesNamed(caller.tool, unique)) await this.writer.remove(caller, stored.entry.id)
    for (const stored of await this.reader.relationsTouching(caller.tool, unique)) await this.writer.remove(caller, stored.entry.id)
  }

  async deleteObservations(caller: Caller, deletions: ObservationDeletion[]): Promise<void> {
    requireScope(caller, 'write')
    deletions.forEach((d, i) => {
      assertText(d.entityName, `/deletions/${i}/entityName`)
      d.observations.forEach((o, j) => assertText(o, `/deletions/${i}/observations/${j}`))
    })
    const names = distinct(deletions.map((d) => d.entityName))
    const found = await mapLimit(names, CONCURRENCY, (name) => this.reader.entity(caller.tool, name))
    for (const [i, name] of names.entries()) {
      const stored = found[i]
      if (!stored) continue
      const doomed = new Set(deletions.filter((d) => d.entityName === name).flatMap((d) => d.observations))
      await this.writer.rewrite(caller, name, stored, (entity) => {
        const kept = entity.observations.filter((o) => !doomed.has(o))
        return kept.length === entity.observations.length ? null : { ...entity, observations: kept }
      }, 'ignore')
    }
  }

  async deleteRelations(caller: Caller, relations: Relation[]): Promise<void> {
    requireScope(caller, 'write')
    relations.forEach((r, i) => {
      for (const field of ['from', 'to', 'relationType'] as const) assertText(r[field], `/relations/${i}/${field}`)
    })
    const found = await mapLimit(distinct(relations, tripleOf), CONCURRENCY, (r) => this.reader.relation(caller.tool, r))
    for (const stored of found) if (stored) await this.writer.remove(caller, stored.entry.id)
  }

  async readGraph(caller: Caller, page: { limit?: number; cursor?: string | null } = {}): Promise<GraphPage> {
    requireScope(caller, 'read')
    const { limit, cursor = null } = page
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw new AppError('validation_failed', 'limit must be a positive integer', {
        errors: [{ pointer: '/limit', message: 'must be a positive integer' }],
      })
    }
    const from = cursor === null ? null : decodeGraphCursor(cursor)
    if (limit === undefined && from === null) {
      const [entities, relations] = await Promise.all([this.reader.entities(caller.tool), this.reader.relations(caller.tool)])
      return { entities: items(entities), relations: items(relations), nextCursor: null }
    }
    const result = await this.reader.page(caller.tool, limit ?? Infinity, from ?? GRAPH_START)
    return { entities: result.entities, relations: result.relations, nextCursor: result.next && encodeGraphCursor(result.next) }
  }

  async searchNodes(caller: Caller, query: string): Promise<KnowledgeGraph> {
    requireScope(caller, 'read')
    assertText(query, '/query')
    const lower = query.toLowerCase()
    const candidates = await this.reader.entities(caller.tool, prefilterNeedle(query) || undefined)
    const entities = candidates.filter((s) => entityMatches(s.item, lower))
    const relations = await this.reader.relationsTouching(caller.tool, entities.map((s) => s.item.name))
    return { entities: items(entities), relations: items(relations) }
  }

  async openNodes(caller: Caller, names: string[]): Promise<KnowledgeGraph> {
    requireScope(caller, 'read')
    names.forEach((name, i) => assertText(name, `/names/${i}`))
    const entities = await this.reader.entitiesNamed(caller.tool, names)
    const relations = await this.reader.relationsTouching(caller.tool, entities.map((s) => s.item.name))
    return { entities: items(entities), relations: items(relations) }
  }
}

function items<T>(stored: Array<Stored<T>>): T[] {
  return stored.map((s) => s.item)
}
