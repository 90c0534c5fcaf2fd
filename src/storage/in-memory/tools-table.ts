/** The in-memory store's tool registry and cross-tool access log (migration 0004's tables in SQL). */
import { versionConflict } from '../../errors/conflicts.js'
import type { AccessLogQuery, CrossToolRead, LoggedRead, ToolRecord } from '../../domain/tools/tool-record.js'
import type { MemoryStore, WriteOptions } from '../memory-store.js'

export class ToolsTable {
  readonly #tools = new Map<string, ToolRecord>()
  #log: LoggedRead[] = []
  #seq = 0

  get(tool: string): ToolRecord | null {
    const record = this.#tools.get(tool)
    return record ? structuredClone(record) : null
  }

  list(): ToolRecord[] {
    return [...this.#tools.keys()].sort().map((tool) => structuredClone(this.#tools.get(tool)!))
  }

  register(record: ToolRecord): { record: ToolRecord; created: boolean } {
    const existing = this.get(record.tool)
    if (existing) return { record: existing, created: false }
    this.#tools.set(record.tool, { ...structuredClone(record), version: 1 })
    return { record: this.get(record.tool)!, created: true }
  }

  put(record: ToolRecord, options: WriteOptions = {}): ToolRecord {
    const current = this.#tools.get(record.tool)
    const expect = options.expectVersion
    if (expect !== undefined && (current?.version ?? 0) !== expect) throw versionConflict(current?.version ?? null)
    const stored: ToolRecord = current
      ? { ...structuredClone(record), version: current.version + 1, createdAt: current.createdAt }
      : { ...structuredClone(record), version: 1 }
    this.#tools.set(record.tool, stored)
    return structuredClone(stored)
  }

  append(records: CrossToolRead[], keepRows: number): void {
    for (const r of records) this.#log.push({ ...structuredClone(r), seq: ++this.#seq })
    if (this.#log.length > keepRows) this.#log = this.#log.slice(this.#log.length - keepRows)
  }

  read(query: AccessLogQuery): LoggedRead[] {
    const out: LoggedRead[] = []
    for (let i = this.#log.length - 1; i >= 0 && out.length < query.limit; i--) {
      const r = this.#log[i]!
      if (query.beforeSeq !== undefined && r.seq >= query.beforeSeq) continue
      if ((query.reader === undefined || r.reader === query.reader) && (query.owner === undefined || r.owner === query.owner)) {
        out.push(structuredClone(r))
      }
    }
    return out
  }

  clear(): void {
    this.#tools.clear()
    this.#log = []
  }
}

/** The store members over `table`, each failing like the store once it is closed. */
export function toolOperations(
  table: ToolsTable, assertOpen: () => void,
): Pick<MemoryStore, 'getTool' | 'listTools' | 'registerTool' | 'putTool' | 'appendAccessLog' | 'readAccessLog'> {
  return {
    getTool: async (tool) => (assertOpen(), table.get(tool)),
    listTools: async () => (assertOpen(), table.list()),
    registerTool: async (record) => (assertOpen(), table.register(record)),
    putTool: async (record, options) => (assertOpen(), table.put(record, options)),
    appendAccessLog: async (records, keepRows) => (assertOpen(), table.append(records, keepRows)),
    readAccessLog: async (query) => (assertOpen(), table.read(query)),
  }
}
