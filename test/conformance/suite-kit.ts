/**
 * Shared plumbing of the MemoryStore conformance suite: the runner-agnostic types, the controllable
 * clock, the per-test store lifecycle and a few helpers. The suite's groups live in `suite-*.ts`;
 * `memory-store.suite.ts` composes them.
 */
import { randomBytes } from 'node:crypto'
import { isAppError } from '../../src/errors/app-error.js'
import type { ErrorCode } from '../../src/errors/error-codes.js'
import type { MemoryEntry } from '../../src/domain/memory/memory-entry.js'
import type { EntryFilter, MemoryStore, ReadAccess } from '../../src/storage/memory-store.js'

/** An optional assertion message (the shape tap's `MessageExtra` accepts). */
export type Msg = [] | [message: string]

/** The assertions the suite uses; node-tap's `t` satisfies it, other runners need a small adapter. */
export interface Assert {
  equal(found: unknown, wanted: unknown, ...msg: Msg): unknown
  not(found: unknown, doNotWant: unknown, ...msg: Msg): unknown
  same(found: unknown, wanted: unknown, ...msg: Msg): unknown
  /** Deep equality without type coercion (a version `'2'` does not equal `2`); Dates compare by time. */
  strictSame(found: unknown, wanted: unknown, ...msg: Msg): unknown
  ok(value: unknown, ...msg: Msg): unknown
  notOk(value: unknown, ...msg: Msg): unknown
}

/** Registers one test; the runner awaits `fn`. */
export type TestFn = (name: string, fn: (t: Assert) => Promise<void>) => void

/** The store's clock, driven by the test: `now()` is what the store must use for expiry and TTLs. */
export interface TestClock {
  /** ms since epoch. A plain function: it may be passed around unbound. */
  now(): number
  /** Move the clock forward by `ms`. */
  advance(ms: number): void
}

/**
 * Builds a fresh, not yet initialised store using `clock`; the suite calls `init()` and, at the
 * end of the test, `close()`. The factory is responsible for isolation (e.g. a new database schema).
 */
export type StoreFactory = (clock: TestClock) => Promise<MemoryStore>

/** Groups of the suite, for the capability flags in `SuiteOptions.omit`. */
export type SuiteGroup =
  | 'crud' | 'content' | 'mirror' | 'outbox' | 'ttl' | 'query' | 'contains' | 'search' | 'operations' | 'tools' | 'budget'

export interface SuiteOptions {
  /**
   * Groups to leave out, for a decorator that deliberately lacks a capability. Every omission must
   * be justified where the suite is called. @default []
   */
  omit?: SuiteGroup[]
  /** Prefix of the random tool names, so rows are attributable when a store is shared. @default 't' */
  toolPrefix?: string
}

export interface StoreTestContext {
  t: Assert
  store: MemoryStore
  clock: TestClock
  /** A tool name unique to this test run, e.g. `t-3f9a1c2b-a`; `tool('x')` gives a second one. */
  tool(suffix?: string): string
  /** Another fresh, initialised store on the same clock (e.g. the other side of a mirror); closed at the end. */
  otherStore(): Promise<MemoryStore>
}

export type StoreTest = (name: string, body: (ctx: StoreTestContext) => Promise<void>) => void

export function createClock(start = Date.now()): TestClock {
  let current = start
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
  }
}

/** Wraps the runner so that each test gets a fresh initialised store, closed at the end. */
export function storeTest(test: TestFn, make: StoreFactory, options: SuiteOptions = {}): StoreTest {
  const prefix = options.toolPrefix ?? 't'
  return (name, body) => {
    test(name, async (t) => {
      const clock = createClock()
      const stores: MemoryStore[] = []
      const open = async (): Promise<MemoryStore> => {
        const store = await make(clock)
        stores.push(store)
        await store.init()
        return store
      }
      const run = randomBytes(4).toString('hex')
      try {
        const store = await open()
        await body({ t, store, clock, tool: (suffix = 'a') => `${prefix}-${run}-${suffix}`, otherStore: open })
      } finally {
        for (const store of stores) await store.close()
      }
    })
  }
}

/** Asserts that `promise` rejects with an AppError of `code`. */
export async function expectAppError(t: Assert, promise: Promise<unknown>, code: ErrorCode, msg: string = code): Promise<void> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: value }),
    (err: unknown) => ({ rejected: err }),
  )
  if ('resolved' in outcome) {
    t.ok(false, `${msg}: expected a rejection with ${code}, but the promise resolved`)
    return
  }
  t.ok(isAppError(outcome.rejected), `${msg}: rejects with an AppError`)
  t.equal(isAppError(outcome.rejected) ? outcome.rejected.code : String(outcome.rejected), code, `${msg}: code`)
}

/** Access of `tool` reading only its own entries (no grants, no shared). */
export function ownAccess(tool: string, extra: Partial<ReadAccess> = {}): ReadAccess {
  return { tool, grantedTools: [], includeShared: false, ...extra }
}

/** A filter restricted to `tools` (so that a shared store's other rows never leak into a test). */
export function toolsFilter(tools: string[], extra: Partial<EntryFilter> = {}): EntryFilter {
  return { access: ownAccess(tools[0]!, { grantedTools: tools.slice(1) }), tools, ...extra }
}

export function ids(entries: Array<Pick<MemoryEntry, 'id'>>): string[] {
  return entries.map((e) => e.id)
}

/** Ids sorted newest first (descending), as query returns them. */
export function newestFirst(list: string[]): string[] {
  return [...list].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))
}

/** An entry as the store should hold it after create: the input with version 1. */
export function asCreated(entry: MemoryEntry): MemoryEntry {
  return { ...entry, version: 1 }
}

/** Create `entries` (no dedupe) one after another, so their ids keep creation order; returns them. */
export async function createAll(store: MemoryStore, entries: MemoryEntry[]): Promise<MemoryEntry[]> {
  for (const entry of entries) await store.create(entry, { dedupe: false })
  return entries
}

/** A sorted copy (for comparing id sets whatever the order). */
export function sorted(list: string[]): string[] {
  return [...list].sort()
}
