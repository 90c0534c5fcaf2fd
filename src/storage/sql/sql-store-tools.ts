/**
 * Tool operations of the SQL store: the registry, the cross-tool access log and the ranked
 * candidate reads of context packing (queries-tools.ts, queries-read.ts `topQuery`).
 */
import { versionConflict } from '../../errors/conflicts.js'
import type { EvictionOrder, LoggedRead, OverBudgetPolicy, ToolRecord } from '../../domain/tools/tool-record.js'
import type { MemoryStore } from '../memory-store.js'
import { topQuery } from './queries-read.js'
import {
  APPEND_ACCESS_LOG, GET_TOOL, LIST_TOOLS, PUT_TOOL, READ_ACCESS_LOG, REGISTER_TOOL, TOOL_VERSION, UPDATE_TOOL,
} from './queries-tools.js'
import { type MemoryRow, toEntries, toEntry } from './rows.js'
import { type StoreContext, versionOf } from './store-context.js'

type ToolOperations = Pick<
  MemoryStore,
  'getTool' | 'listTools' | 'registerTool' | 'putTool' | 'appendAccessLog' | 'readAccessLog' | 'topEntries'
>

interface ToolRow {
  tool: string
  display_name: string
  max_tokens: string | number | null
  over_budget: OverBudgetPolicy
  eviction_order: EvictionOrder
  default_ttl_seconds: number | null
  readers: string[]
  version: number
  created_at: Date
  updated_at: Date
}

interface AccessLogRow {
  seq: string | number
  reader: string
  owner: string
  id: string
  via: string
  at: Date
}

function toolOf(row: ToolRow): ToolRecord {
  return {
    tool: row.tool,
    displayName: row.display_name,
    maxTokens: row.max_tokens === null ? null : Number(row.max_tokens),
    overBudget: row.over_budget,
    evictionOrder: row.eviction_order,
    defaultTtlSeconds: row.default_ttl_seconds === null ? null : Number(row.default_ttl_seconds),
    readers: [...row.readers],
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The bound columns of a write ($1..$9 of queries-tools.ts). */
function toolValues(r: ToolRecord): unknown[] {
  return [r.tool, r.displayName, r.maxTokens, r.overBudget, r.evictionOrder, r.defaultTtlSeconds, r.readers, r.createdAt, r.updatedAt]
}

export function toolOperations(ctx: StoreContext): ToolOperations {
  const { db } = ctx
  return {
    async getTool(tool) {
      const { rows } = await db.query<ToolRow>(GET_TOOL, [tool])
      return rows[0] === undefined ? null : toolOf(rows[0])
    },

    async listTools() {
      const { rows } = await db.query<ToolRow>(LIST_TOOLS)
      return rows.map(toolOf)
    },

    async registerTool(record) {
      const { rows } = await db.query<ToolRow & { created: boolean }>(REGISTER_TOOL, toolValues(record))
      // No row: the registration was inserted by a concurrent statement after this one's snapshot.
      const row = rows[0] ?? (await db.query<ToolRow>(GET_TOOL, [record.tool])).rows[0]
      if (row === undefined) throw new Error(`registration of ${record.tool} vanished`)
      return { record: toolOf(row), created: (row as { created?: boolean }).created === true }
    },

    async putTool(record, options = {}) {
      const expect = options.expectVersion
      const statement = expect === undefined || expect === 0 ? PUT_TOOL : UPDATE_TOOL
      const { rows } = await db.query<ToolRow>(statement, [...toolValues(record), expect ?? null])
      if (rows[0]) return toolOf(rows[0])
      throw versionConflict(await versionOf(ctx, TOOL_VERSION, [record.tool]))
    },

    async appendAccessLog(records, keepRows) {
      if (records.length === 0) return
      await db.query(APPEND_ACCESS_LOG, [
        records.map((r) => r.reader), records.map((r) => r.owner), records.map((r) => r.id),
        records.map((r) => r.via), records.map((r) => r.at), keepRows,
      ])
    },

    async readAccessLog(query) {
      const { rows } = await db.query<AccessLogRow>(READ_ACCESS_LOG, [
        query.reader ?? null, query.owner ?? null, query.beforeSeq ?? null, query.limit,
      ])
      return rows.map((r): LoggedRead => ({ seq: Number(r.seq), reader: r.reader, owner: r.owner, id: r.id, via: r.via, at: r.at }))
    },

    async topEntries(filter, order, limit) {
      const statement = topQuery(filter, order, limit, ctx.now())
      if (statement === null) return []
      const { rows } = await db.query<MemoryRow>(statement.text, statement.values)
      return toEntries(rows, toEntry)
    },
  }
}
