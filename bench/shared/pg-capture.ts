// Capturing the SQL statements the service sends through pg while a request runs (for the benchmarks' EXPLAINs).
import pg from 'pg'

export interface CapturedStatement { text: string; values: unknown[] }

/**
 * The statements pg's Client.query is given while `run` runs (every client of the process, in call order):
 * its text and its values. Client.query is restored afterwards, also when `run` throws.
 */
export async function captureStatements(run: () => Promise<unknown>): Promise<CapturedStatement[]> {
  const captured: CapturedStatement[] = []
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
  const original = proto.query
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [first, second] = args
    if (typeof first === 'string') captured.push({ text: first, values: Array.isArray(second) ? second : [] })
    else if (first && typeof first === 'object' && 'text' in first) {
      const config = first as { text: string; values?: unknown[] }
      captured.push({ text: config.text, values: config.values ?? (Array.isArray(second) ? second : []) })
    }
    return original.apply(this, args)
  }
  try {
    await run()
  } finally {
    proto.query = original
  }
  return captured
}
