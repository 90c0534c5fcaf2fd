/** Small async helpers shared by the data tools: abortable sleep, retry (and the worker pool of src/shared). */
export { mapLimit } from '../../shared/async.js'

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  /** Delay before retry n is baseMs × 2^(n-1). */
  baseMs: number
  sleep?: (ms: number) => Promise<void>
  onRetry?: (err: unknown, attempt: number) => void
}

/** `fn`, retried with exponential backoff; the last error is thrown. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const pause = options.sleep ?? ((ms: number) => sleep(ms))
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      if (attempt >= options.retries) throw err
      options.onRetry?.(err, attempt + 1)
      await pause(options.baseMs * 2 ** attempt)
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
