/**
 * Conformance: the tool registry (getTool, listTools, registerTool, putTool), the cross-tool access
 * log (appendAccessLog, readAccessLog) and the ranked candidate reads of context packing (topEntries).
 * The registry and the log are global per store, so every test only looks at its own tool names.
 */
import { isAppError } from '../../src/errors/app-error.js'
import { newId } from '../../src/domain/memory/ids.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import type { CrossToolRead, ToolRecord } from '../../src/domain/tools/tool-record.js'
import { makeEntry } from '../helpers/entries.js'
import { createAll, ids, ownAccess, type StoreTest, type TestClock, toolsFilter } from './suite-kit.js'

/** A registration of `tool` with times from the test clock (whole ms, as every backend keeps them). */
function toolRecord(clock: TestClock, tool: string, extra: Partial<ToolRecord> = {}): ToolRecord {
  const at = new Date(clock.now())
  return {
    tool, displayName: `Tool ${tool}`, maxTokens: 1000, overBudget: 'reject', evictionOrder: 'lru',
    defaultTtlSeconds: null, readers: [], version: 7, createdAt: at, updatedAt: at, ...extra,
  }
}

/** `extensions.currentVersion` of the version_conflict `promise` rejects with ('no conflict' otherwise). */
async function currentVersionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'no conflict',
    (err: unknown) => (isAppError(err) && err.code === 'version_conflict' ? err.extensions?.currentVersion : String(err)),
  )
}


/** Ids sorted most important first, ties newest first (id descending). */
function byImportance(entries: MemoryEntry[]): string[] {
  return [...entries].sort((a, b) => b.importance - a.importance || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((e) => e.id)
}

export function toolsTests(test: StoreTest): void {
  test('registerTool creates a registration once; getTool reads it', async ({ t, store, clock, tool }) => {
    t.equal(await store.getTool(tool()), null, 'unregistered tool')
    const record = toolRecord(clock, tool(), { maxTokens: 500, overBudget: 'evict', evictionOrder: 'importance',
      defaultTtlSeconds: 3600, readers: [tool('b'), tool('c')] })
    const first = await store.registerTool(record)
    t.equal(first.created, true, 'created')
    t.strictSame(first.record, { ...record, version: 1 }, 'stored as given with version 1')
    t.strictSame(await store.getTool(tool()), { ...record, version: 1 }, 'getTool returns every field')
    clock.advance(1000)
    const again = await store.registerTool(toolRecord(clock, tool(), { displayName: 'other', maxTokens: null }))
    t.equal(again.created, false, 'a second registration does not create')
    t.strictSame(again.record, { ...record, version: 1 }, 'the second call returns the existing registration')
    t.strictSame(await store.getTool(tool()), { ...record, version: 1 }, 'unchanged')
    t.equal(await store.getTool(tool('b')), null, 'another tool is still unregistered')
  })

  test('concurrent registerTool calls create the registration once', async ({ t, store, clock, tool }) => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      store.registerTool(toolRecord(clock, tool(), { displayName: `caller ${i}` }))))
    t.equal(results.filter((r) => r.created).length, 1, 'exactly one call created it')
    const stored = await store.getTool(tool())
    t.equal(stored?.version, 1, 'version 1')
    t.ok(results.every((r) => r.record.displayName === stored?.displayName && r.record.version === 1), 'every call returns the stored registration')
  })

  test('putTool inserts at version 1, then replaces keeping createdAt with version + 1', async ({ t, store, clock, tool }) => {
    const record = toolRecord(clock, tool(), { maxTokens: null })
    const inserted = await store.putTool(record)
    t.strictSame(inserted, { ...record, version: 1 }, 'new registration at version 1')
    clock.advance(5000)
    const change = toolRecord(clock, tool(), { displayName: 'Renamed', maxTokens: 42, overBudget: 'evict',
      evictionOrder: 'oldest', defaultTtlSeconds: 60, readers: [tool('r')], createdAt: new Date(0) })
    const replaced = await store.putTool(change)
    const expected = { ...change, createdAt: record.createdAt, version: 2 }
    t.strictSame(replaced, expected, 'replaced: createdAt kept, version 2, the rest as given')
    t.strictSame(await store.getTool(tool()), expected, 'getTool sees the replacement')
    t.equal((await store.putTool({ ...change, readers: [] })).version, 3, 'each replace adds one')
    t.strictSame((await store.getTool(tool()))?.readers, [], 'readers emptied')
  })

  test('putTool honours expectVersion', async ({ t, store, clock, tool }) => {
    const record = toolRecord(clock, tool())
    t.equal(await currentVersionOf(store.putTool(record, { expectVersion: 2 })), null, 'absent with a version: conflict, null')
    t.equal(await store.getTool(tool()), null, 'nothing stored')
    t.equal((await store.putTool(record, { expectVersion: 0 })).version, 1, 'expectVersion 0 creates')
    t.equal(await currentVersionOf(store.putTool({ ...record, displayName: 'x' }, { expectVersion: 0 })), 1,
      'expectVersion 0 on an existing registration: conflict with currentVersion')
    t.equal((await store.putTool({ ...record, displayName: 'v2' }, { expectVersion: 1 })).version, 2, 'matching version replaces')
    t.equal(await currentVersionOf(store.putTool({ ...record, displayName: 'stale' }, { expectVersion: 1 })), 2, 'stale version')
    const stored = await store.getTool(tool())
    t.equal(stored?.version, 2, 'version unchanged by the failed writes')
    t.equal(stored?.displayName, 'v2', 'content unchanged by the failed writes')
    t.strictSame(stored?.createdAt, record.createdAt, 'createdAt kept')
  })

  test('listTools returns every registration by tool name', async ({ t, store, clock, tool }) => {
    const [a, b, c] = [tool('a'), tool('b'), tool('c')]
    await store.putTool(toolRecord(clock, c))
    await store.registerTool(toolRecord(clock, a, { readers: [b] }))
    await store.putTool(toolRecord(clock, b, { maxTokens: null }))
    await store.putTool(toolRecord(clock, c, { displayName: 'C' }))
    const mine = (await store.listTools()).filter((r) => [a, b, c].includes(r.tool))
    t.strictSame(mine.map((r) => r.tool), [a, b, c], 'sorted by tool')
    t.strictSame(mine, [
      { ...toolRecord(clock, a, { readers: [b] }), version: 1 },
      { ...toolRecord(clock, b, { maxTokens: null }), version: 1 },
      { ...toolRecord(clock, c, { displayName: 'C' }), version: 2 },
    ], 'whole registrations')
  })

  test('readAccessLog returns appended reads newest first, filtered by reader and owner', async ({ t, store, clock, tool }) => {
    const [reader, other, owner1, owner2] = [tool('reader'), tool('other'), tool('owner1'), tool('owner2')]
    const read = (r: string, o: string, via: string): CrossToolRead => ({ reader: r, owner: o, id: newId(), via, at: new Date(clock.now()) })
    const first = [read(reader, owner1, 'get'), read(reader, owner2, 'list'), read(other, owner1, 'search')]
    await store.appendAccessLog(first, 1_000_000)
    clock.advance(1000)
    const second = [read(reader, owner1, 'context')]
    await store.appendAccessLog(second, 1_000_000)
    await store.appendAccessLog([], 1_000_000)
    const all = [...first, ...second]
    const strip = (rows: Array<CrossToolRead & { seq: number }>) => rows.map(({ seq: _seq, ...rest }) => rest)

    const byReader = await store.readAccessLog({ reader, limit: 10 })
    t.strictSame(strip(byReader), [all[3], all[1], all[0]], 'reader filter, newest first, every field')
    t.ok(byReader.every((r, i) => typeof r.seq === 'number' && (i === 0 || r.seq < byReader[i - 1]!.seq)), 'seq numbers, descending')
    t.strictSame(strip(await store.readAccessLog({ owner: owner1, limit: 10 })), [all[3], all[2], all[0]], 'owner filter')
    t.strictSame(strip(await store.readAccessLog({ reader, owner: owner1, limit: 10 })), [all[3], all[0]], 'both filters')
    t.strictSame(strip(await store.readAccessLog({ reader: other, owner: owner2, limit: 10 })), [], 'no match')

    const page1 = await store.readAccessLog({ reader, limit: 2 })
    t.strictSame(strip(page1), [all[3], all[1]], 'first page')
    const page2 = await store.readAccessLog({ reader, limit: 2, beforeSeq: page1[1]!.seq })
    t.strictSame(strip(page2), [all[0]], 'beforeSeq: the next page')
    t.strictSame(await store.readAccessLog({ reader, limit: 2, beforeSeq: page2[0]!.seq }), [], 'nothing before the oldest')
  })

  test('appendAccessLog trims the log to keepRows, keeping the newest', async ({ t, store, clock, tool }) => {
    const reader = tool('trim')
    const rows = (n: number, via: string): CrossToolRead[] =>
      Array.from({ length: n }, () => ({ reader, owner: tool('owner'), id: newId(), via, at: new Date(clock.now()) }))
    const older = rows(4, 'get')
    await store.appendAccessLog(older, 1_000_000)
    const newer = rows(2, 'list')
    await store.appendAccessLog(newer, 3)
    const kept = await store.readAccessLog({ reader, limit: 10 })
    t.strictSame(kept.map((r) => r.id), [newer[1]!.id, newer[0]!.id, older[3]!.id], 'the 3 newest rows are kept')
    const next = rows(5, 'search')
    await store.appendAccessLog(next, 2)
    t.strictSame((await store.readAccessLog({ reader, limit: 10 })).map((r) => r.id), [next[4]!.id, next[3]!.id],
      'an append larger than keepRows keeps its own newest rows')
  })

  test('topEntries by importance: most important first, ties newest first', async ({ t, store, tool }) => {
    const entries = await createAll(store, [0.25, 1, 0.5, 1, 0.25, 0, 0.75].map((importance) => makeEntry({ tool: tool(), importance })))
    const expected = byImportance(entries)
    t.strictSame(ids(await store.topEntries(toolsFilter([tool()]), 'importance', 100)), expected, 'importance order')
    t.strictSame(ids(await store.topEntries(toolsFilter([tool()]), 'importance', 3)), expected.slice(0, 3), 'limit')
    const top = await store.topEntries(toolsFilter([tool()]), 'importance', 1)
    t.strictSame(top, [{ ...entries.find((e) => e.id === expected[0])!, version: 1 }], 'whole entries')
    t.strictSame(await store.topEntries(toolsFilter([tool()]), 'importance', 0), [], 'limit 0')
  })

  test('topEntries by recency: newest first', async ({ t, store, tool }) => {
    const entries = await createAll(store, Array.from({ length: 6 }, (_, i) => makeEntry({ tool: tool(), importance: i % 2 ? 1 : 0 })))
    const expected = ids(entries).reverse()
    t.strictSame(ids(await store.topEntries(toolsFilter([tool()]), 'recent', 100)), expected, 'id descending')
    t.strictSame(ids(await store.topEntries(toolsFilter([tool()]), 'recent', 4)), expected.slice(0, 4), 'limit')
  })

  test('topEntries respects access, the other filters and expiry', async ({ t, store, clock, tool }) => {
    const [me, other] = [tool('me'), tool('other')]
    const [mine, minePrivate, shared, foreign, expiring] = await createAll(store, [
      makeEntry({ tool: me, importance: 0.25, type: 'note' }),
      makeEntry({ tool: me, importance: 0.5, visibility: 'private' }),
      makeEntry({ tool: other, importance: 0.75, visibility: 'shared' }),
      makeEntry({ tool: other, importance: 1, visibility: 'private' }),
      makeEntry({ tool: me, importance: 1, expiresAt: new Date(clock.now() + 1000) }),
    ])
    const tools = [me, other]
    const top = async (access: ReturnType<typeof ownAccess>, order: 'importance' | 'recent', extra = {}) =>
      ids(await store.topEntries({ access, tools, ...extra }, order, 100))
    t.strictSame(await top(ownAccess(me, { includeShared: true }), 'importance'), ids([expiring!, shared!, minePrivate!, mine!]),
      'own and shared entries; another tool\'s private entry is not returned')
    t.strictSame(await top(ownAccess(me), 'recent'), ids([expiring!, minePrivate!, mine!]), 'no shared: own entries only')
    t.strictSame(await top(ownAccess(me, { grantedTools: [other] }), 'importance'), ids([expiring!, foreign!, shared!, minePrivate!, mine!]),
      'a granted tool\'s private entries are returned (equal importance: newest first)')
    t.strictSame(await top(ownAccess(other), 'recent'), ids([foreign!, shared!]), 'the other tool sees its own only')
    t.strictSame(await top(ownAccess(me, { includeShared: true }), 'recent', { types: ['note'] }), [mine!.id], 'type filter applies')
    clock.advance(1000)
    t.strictSame(await top(ownAccess(me, { grantedTools: [other] }), 'importance'), ids([foreign!, shared!, minePrivate!, mine!]),
      'expired entries are skipped (importance)')
    t.strictSame(await top(ownAccess(me, { grantedTools: [other] }), 'recent'), ids([foreign!, shared!, minePrivate!, mine!]).sort().reverse(),
      'expired entries are skipped (recent)')
  })
}
