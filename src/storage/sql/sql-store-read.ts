/**
 * Read operations of the SQL store: point reads, listings, search, stats and scans. Compressed
 * contents are decompressed on demand, per row read (rows.ts).
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { decodeCursor, encodeCursor } from '../cursor.js'
import type { MemoryStore, SearchHit, StoreStats, ToolStats } from '../memory-store.js'
import { FIND_BY_HASH, FIND_BY_KEY, GET, GET_BY_ID, GET_MANY } from './queries-entries.js'
import { SCAN_AFTER, SCAN_FIRST, STATS, STATS_OF_TOOLS } from './queries-ops.js'
import { listQuery, searchQuery } from './queries-read.js'
import { entryOf, isStoredId, type MemoryRow, toEntries, toEntry } from './rows.js'
import type { SqlStatement } from './sql-driver.js'
import type { StoreContext } from './store-context.js'

type ReadOperations = Pick<
  MemoryStore,
  'get' | 'getById' | 'getMany' | 'findByHash' | 'findByKey' | 'query' | 'search' | 'stats' | 'scan'
>

export function readOperations(ctx: StoreContext): ReadOperations {
  const { db } = ctx

  async function one(statement: SqlStatement, params: unknown[]): Promise<MemoryEntry | null> {
    const { rows } = await db.query<MemoryRow>(statement, params)
    return rows[0] === undefined ? null : entryOf(rows[0])
  }

  async function many(statement: SqlStatement, params: unknown[]): Promise<MemoryEntry[]> {
    const { rows } = await db.query<MemoryRow>(statement, params)
    return toEntries(rows, toEntry)
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
      const statement = listQuery(filter, after, size, ctx.now())
      const rows = statement === null ? [] : await many(statement.text, statement.values)
      const items = rows.slice(0, size)
      const last = items[items.length - 1]
      return { items, nextCursor: rows.length > size && last ? encodeCursor(last.id) : null }
    },

    async search(request) {
      const statement = searchQuery(request, ctx.now())
      if (statement === null) return []
      const { rows } = await db.query<MemoryRow & { score: number }>(statement.text, statement.values)
      return toEntries(rows, (row, content): SearchHit => ({ entry: toEntry(row, content), score: Number(row.score) }))
    },

    async stats(tools): Promise<StoreStats> {
      if (tools?.length === 0) return { entries: 0, tokens: 0, tools: [] }
      const { rows } = await db.query<{ tool: string; type: string; entries: number; tokens: string | number }>(
        tools === undefined ? STATS : STATS_OF_TOOLS,
        tools === undefined ? [ctx.now()] : [ctx.now(), tools],
      )
      const perTool: ToolStats[] = []
      for (const row of rows) {
        let current = perTool[perTool.length - 1]
        if (current?.tool !== row.tool) perTool.push((current = { tool: row.tool, entries: 0, tokens: 0, types: {} }))
        current.entries += Number(row.entries)
        current.tokens += Number(row.tokens)
        current.types[row.type] = Number(row.entries)
      }
      return {
        entries: perTool.reduce((n, s) => n + s.entries, 0),
        tokens: perTool.reduce((n, s) => n + s.tokens, 0),
        tools: perTool,
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
