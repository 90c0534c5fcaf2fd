/**
 * Reads of one tool's knowledge graph, straight from the MemoryStore (the GraphService checks the
 * caller's scope first). Every read is confined to the tool's own entries (no grants, no shared
 * entries of other tools) and served by an index: keys for single items, (tool, type, id) for whole
 * sets, the GIN tag index for the relations of a name, the trigram index for search candidates.
 * Sets come back in ascending id order, which is insertion order (UUIDv7).
 */
import type { MemoryEntry } from '../memory/memory-entry.js'
import type { EntryFilter, MemoryStore } from '../../storage/memory-store.js'
import type { GraphPosition } from './graph-cursor.js'
import {
  ENTITY_TYPE, entityKey, entityOf, fromTag, RELATION_TYPE, relationKey, relationOf, toTag, tripleOf,
} from './graph-records.js'
import type { Entity, Relation } from './knowledge-graph.js'
import { mapLimit } from '../../shared/async.js'

export interface Stored<T> {
  entry: MemoryEntry
  item: T
}

/** Below every UUID: the scan start of a tool. */
const MIN_ID = '00000000-0000-0000-0000-000000000000'

/** Point lookups in flight at once per call. */
const LOOKUP_CONCURRENCY = 8

export interface GraphReaderOptions {
  /** Entries per store page when a whole set is read. */
  pageSize: number
  /**
   * Up to this many names, the relations touching them are found by their tags (two index lookups
   * per name); beyond it, by reading every relation of the tool once.
   */
  tagLookupNames: number
}

export class GraphReader {
  constructor(private readonly store: MemoryStore, private readonly options: GraphReaderOptions) {}

  /** The tool's own entries passing `extra`, in ascending id order. */
  async all(tool: string, extra: Omit<EntryFilter, 'access'>): Promise<MemoryEntry[]> {
    const filter: EntryFilter = { ...extra, access: { tool, grantedTools: [], includeShared: false }, tools: [tool] }
    const newestFirst: MemoryEntry[] = []
    let cursor: string | null = null
    do {
      const page = await this.store.query(filter, cursor, this.options.pageSize)
      newestFirst.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    return newestFirst.reverse()
  }

  async entities(tool: string, contains?: string): Promise<Array<Stored<Entity>>> {
    const entries = await this.all(tool, contains ? { types: [ENTITY_TYPE], contains } : { types: [ENTITY_TYPE] })
    return decoded(entries, entityOf)
  }

  async relations(tool: string, extra: Omit<EntryFilter, 'access' | 'types'> = {}): Promise<Array<Stored<Relation>>> {
    return decoded(await this.all(tool, { ...extra, types: [RELATION_TYPE] }), relationOf)
  }

  /** The entity named exactly `name`, or null. */
  async entity(tool: string, name: string): Promise<Stored<Entity> | null> {
    const entry = await this.store.findByKey(tool, entityKey(name))
    const item = entry && entityOf(entry)
    return item && item.name === name ? { entry: entry!, item } : null
  }

  /** The named entities that exist, in ascending id order (storage order, not the order of `names`). */
  async entitiesNamed(tool: string, names: string[]): Promise<Array<Stored<Entity>>> {
    const found = await mapLimit([...new Set(names)], LOOKUP_CONCURRENCY, (name) => this.entity(tool, name))
    return found.filter((s): s is Stored<Entity> => s !== null).sort(byId)
  }

  /** The stored relation with exactly this triple, or null. */
  async relation(tool: string, relation: Relation): Promise<Stored<Relation> | null> {
    const entry = await this.store.findByKey(tool, relationKey(relation))
    const item = entry && relationOf(entry)
    return item && tripleOf(item) === tripleOf(relation) ? { entry: entry!, item } : null
  }

  /** Relations whose `from` or `to` is one of `names` (whether or not such entities exist), ascending id. */
  async relationsTouching(tool: string, names: Iterable<string>): Promise<Array<Stored<Relation>>> {
    const wanted = new Set(names)
    if (wanted.size === 0) return []
    const touches = (r: Relation) => wanted.has(r.from) || wanted.has(r.to)
    if (wanted.size > this.options.tagLookupNames) return (await this.relations(tool)).filter((s) => touches(s.item))
    const lookups = [...wanted].flatMap((name) => [fromTag(name), toTag(name)])
    const pages = await mapLimit(lookups, LOOKUP_CONCURRENCY, (tag) => this.relations(tool, { tags: [tag] }))
    const byEntryId = new Map<string, Stored<Relation>>()
    // The tags carry 64 bits of the name's hash: the exact test drops the (unlikely) collisions.
    for (const stored of pages.flat()) if (touches(stored.item)) byEntryId.set(stored.entry.id, stored)
    return [...byEntryId.values()].sort(byId)
  }

  /**
   * Up to `limit` items of the graph from `position` on (entities, then relations, each ascending),
   * walking the tool's entries in id order with `scan` (the (tool, id) primary key); entries of other
   * types are stepped over. Returns the items and where the walk stopped, or null there when the
   * graph is exhausted.
   */
  async page(tool: string, limit: number, from: GraphPosition): Promise<{ entities: Entity[]; relations: Relation[]; next: GraphPosition | null }> {
    const entities: Entity[] = []
    const relations: Relation[] = []
    const batch = Number.isFinite(limit) ? Math.min(1000, Math.max(100, limit * 2)) : 1000
    let position = from
    while (entities.length + relations.length < limit) {
      const rows = await this.store.scan({ tool, id: position.after ?? MIN_ID }, batch)
      let exhausted = rows.length < batch
      for (const entry of rows) {
        if (entry.tool !== tool) {
          exhausted = true
          break
        }
        position = { phase: position.phase, after: entry.id }
        if (position.phase === 'entities') {
          const entity = entityOf(entry)
          if (entity) entities.push(entity)
        } else {
          const relation = relationOf(entry)
          if (relation) relations.push(relation)
        }
        if (entities.length + relations.length >= limit) break
      }
      if (entities.length + relations.length >= limit) break
      if (!exhausted) continue
      if (position.phase === 'relations') return { entities, relations, next: null }
      position = { phase: 'relations', after: null }
    }
    return { entities, relations, next: (await this.hasMore(tool, position)) ? position : null }
  }

  /** Whether any item of the graph comes after `position` (newest entity or relation id, index-served). */
  private async hasMore(tool: string, position: GraphPosition): Promise<boolean> {
    const newest = async (type: string) =>
      (await this.store.query({ access: { tool, grantedTools: [], includeShared: false }, tools: [tool], types: [type] }, null, 1)).items[0]?.id
    const after = position.after
    if (position.phase === 'entities') {
      const entity = await newest(ENTITY_TYPE)
      if (entity !== undefined && (after === null || entity > after)) return true
      return (await newest(RELATION_TYPE)) !== undefined
    }
    const relation = await newest(RELATION_TYPE)
    return relation !== undefined && (after === null || relation > after)
  }
}

function decoded<T>(entries: MemoryEntry[], decode: (entry: MemoryEntry) => T | null): Array<Stored<T>> {
  const out: Array<Stored<T>> = []
  for (const entry of entries) {
    const item = decode(entry)
    if (item !== null) out.push({ entry, item })
  }
  return out
}

function byId(a: { entry: MemoryEntry }, b: { entry: MemoryEntry }): number {
  return a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0
}
