/**
 * The `read_graph` paging cursor: where the previous page stopped in the graph's order (entities,
 * then relations, each by ascending id). Opaque to clients: base64url JSON
 * `{"v":1,"p":"e"|"r","a":<id of the last entry looked at, or null>}`; `p` is the phase (entities or
 * relations) and `a` the position in the tool's id order, which may be past the last item returned
 * (entries of other types are stepped over). Stable under concurrent writes: items added later sort
 * after every position (UUIDv7 ids are time-ordered), so a page never repeats or skips an item that
 * existed when paging started, unless it was deleted.
 */
import { AppError } from '../../errors/app-error.js'

export interface GraphPosition {
  phase: 'entities' | 'relations'
  /** Ids greater than this come next; null = from the start of the phase. */
  after: string | null
}

export const GRAPH_START: GraphPosition = { phase: 'entities', after: null }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function encodeGraphCursor(position: GraphPosition): string {
  const json = { v: 1, p: position.phase === 'entities' ? 'e' : 'r', a: position.after }
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url')
}

/** The position a cursor names; `invalid_cursor` for anything this service did not issue. */
export function decodeGraphCursor(cursor: string): GraphPosition {
  try {
    if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape')
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown> | null
    const after = parsed?.a
    if (parsed?.v === 1 && (parsed.p === 'e' || parsed.p === 'r') && (after === null || (typeof after === 'string' && UUID.test(after)))) {
      return { phase: parsed.p === 'e' ? 'entities' : 'relations', after }
    }
  } catch {
    // fall through to the single error below
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this service issued.')
}
