/**
 * Opaque keyset cursors. A cursor names the last id of a page; it is base64url JSON with a format
 * tag so that the encoding can change without breaking clients mid-pagination.
 */
import { AppError } from '../errors/app-error.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, id: lastId }), 'utf8').toString('base64url')
}

/** The last id named by `cursor`; throws `invalid_cursor` for anything we did not issue. */
export function decodeCursor(cursor: string): string {
  try {
    if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape')
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      typeof parsed === 'object' && parsed !== null &&
      (parsed as { v?: unknown }).v === 1 &&
      typeof (parsed as { id?: unknown }).id === 'string' &&
      UUID.test((parsed as { id: string }).id)
    ) {
      return (parsed as { id: string }).id
    }
  } catch {
    // fall through to the single error below
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this service issued.')
}
