/** pino options: JSON logs, request ids, and redaction of every credential-bearing field. */
import type { LoggerOptions } from 'pino'

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'config.MEMORY_API_KEYS',
  'config.MEMORY_ADMIN_KEY',
  '*.password',
  '*.connectionString',
]

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'mcp-memory' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  }
}

/** A connection URL safe to log: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = 'redacted'
    for (const name of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(name)) u.searchParams.set(name, 'redacted')
    }
    return u.toString()
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//[redacted]@')
  }
}
