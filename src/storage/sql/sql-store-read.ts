/** Read operations of the SQL store: point reads, listings, search, stats and scans. */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { decodeCursor, encodeCursor } from '../cursor.js'
import type { MemoryStore, SearchHit, StoreStats, ToolStats } from '../memory-store.js'
import { containsPattern, filterConditions, SqlParams } from './filter-sql.js'
import { FIND_BY_HASH, FIND_BY_KEY, GET, GET_BY_ID, GET_MANY } from './queries-entries.js'
import { fulltextStatement, listStatement, SCAN_AFTER, SCAN_FIRST, STATS, substringStatement } from './queries-ops.js'
import { isStoredId, type MemoryRow, toEntry } from './rows.js'
import type { StoreContext } from './store-context.js'

type ReadOperations = Pick<
  MemoryStore,
  'get' | 'getById' | 'getMany' | 'findByHash' | 'findByKey' | 'query' | 'search' | 'stats' | 'scan'
>

export function readOperations(ctx: StoreContext): ReadOperations {
  const { db } = ctx

  async function one(statement: string, params: unknown[]): Promise<MemoryEntry | null> {
    const { rows } = await db.query<MemoryRow>(statement, params)
    return rows[0] === undefined ? null : toEntry(rows[0])
  }

  async function many(statement: string, params: unknown[]): Promise<MemoryEntry[]> {
    const { rows } = await db.query<MemoryRow>(statement, params)
    return rows.map(toEntry)
  }

  return {
    get: async (tool, id) => (isStoredId(id) ? one(GET, [tool, id, ctx.now()]) : null),

    getById: async (id) => (isStoredId(id) ? one(GET_BY_ID, [id, ctx.now()]) : null),

    async getMany(tool, ids) {
      const wanted = ids.filter(isStoredId)
      if (wanted.length === 0) return []
      const found = new Map((await many(GET_MANY, [tool, [...new Set(wanted)], ctx.now()])).map((e) => [e.id, e]))
      return wanted.flatMap((id) => {
        const entry = found.get(id)
        return entry ? [structuredClone(entry)] : []
      })
    },

    findByHash: (tool, hash) => many(FIND_BY_HASH, [tool, hash, ctx.now()]),

    findByKey: (tool, key) => one(FIND_BY_KEY, [tool, key, ctx.now()]),

    async query(filter, cursor, limit) {
      const after = cursor === null ? null : decodeCursor(cursor)
      const size = Math.max(0, Math.floor(limit))
      const params = new SqlParams()
      const where = filterConditions(filter, params, ctx.now())
      const afterParam = after === null ? null : params.next
      if (after !== null) params.add(after)
      const limitParam = params.next
      params.add(size + 1)
      const rows = await many(listStatement(where, afterParam, limitParam), params.values)
      const items = rows.slice(0, size)
      const last = items[items.length - 1]
      return { items, nextCursor: rows.length > size && last ? encodeCursor(last.id) : null }
    },

    async search(request) {
      const limit = Math.max(0, Math.floor(request.limit))
      if (limit === 0 || (request.mode === 'substring' && request.text.length === 0)) return []
      const params = new SqlParams()
      params.add(request.text)
      if (request.mode === 'substring') params.add(containsPattern(request.text))
      const where = filterConditions(request.filter, params, ctx.now())
      const limitParam = params.next
      params.add(limit)
      const statement =
        request.mode === 'fulltext' ? fulltextStatement(where, limitParam) : substringStatement(where, limitParam)
      const { rows } = await db.query<MemoryRow & { score: number }>(statement, params.values)
      return rows.map((row): SearchHit => ({ entry: toEntry(row), score: Number(row.score) }))
    },

    async stats(): Promise<StoreStats> {
      const { rows } = await db.query<{ tool: string; type: string; entries: number; tokens: string | number }>(
        STATS,
        [ctx.now()],
      )
      const tools: ToolStats[] = []
      for (const row of rows) {
        let current = tools[tools.length - 1]
        if (current?.tool !== row.tool) tools.push((current = { tool: row.tool, entries: 0, tokens: 0, types: {} }))
        current.entries += Number(row.entries)
        current.tokens += Number(row.tokens)
        current.types[row.type] = Number(row.entries)
      }
      return {
        entries: tools.reduce((n, s) => n + s.entries, 0),
        tokens: tools.reduce((n, s) => n + s.tokens, 0),
        tools,
      }
    },

    scan: (after, limit) => {
      const size = Math.max(0, Math.floor(limit))
      return after === null
        ? many(SCAN_FIRST, [ctx.now(), size])
        : many(SCAN_AFTER, [ctx.now(), size, after.tool, after.id])
    },
  }
}
