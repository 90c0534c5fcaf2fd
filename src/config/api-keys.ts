/**
 * `MEMORY_API_KEYS` parsing: `tool=key[:scope+scope],…`. Each key maps to one tool and a set of
 * scopes (default `read+write`). Keys are secrets: never log them, compare them in constant time.
 */
import { TOOL_PATTERN } from '../domain/memory/memory-entry.js'

export const KNOWN_SCOPES = ['read', 'write', 'read:shared', 'metrics', 'admin'] as const
export type Scope = (typeof KNOWN_SCOPES)[number] | `read:${string}`

export interface ApiKey {
  tool: string
  key: string
  scopes: Scope[]
}

const MIN_KEY_LENGTH = 16

/** Parse the flag; throws an Error whose message names the offending item (never the key itself). */
export function parseApiKeys(raw: string): ApiKey[] {
  const keys: ApiKey[] = []
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  items.forEach((item, index) => {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new Error(`item ${index + 1} is not of the form tool=key[:scopes]`)
    const tool = item.slice(0, eq)
    const rest = item.slice(eq + 1)
    const colon = rest.indexOf(':')
    const key = colon === -1 ? rest : rest.slice(0, colon)
    const scopeText = colon === -1 ? 'read+write' : rest.slice(colon + 1)
    // Messages name the item by position only: a mis-ordered item could put a key where the tool goes.
    if (!TOOL_PATTERN.test(tool)) throw new Error(`item ${index + 1}: the tool name is not valid ([A-Za-z0-9][A-Za-z0-9_.-]{0,63})`)
    if (key.length < MIN_KEY_LENGTH) throw new Error(`item ${index + 1}: key shorter than ${MIN_KEY_LENGTH} characters`)
    const scopes = scopeText.split('+').filter((s) => s.length > 0)
    for (const scope of scopes) {
      const known = (KNOWN_SCOPES as readonly string[]).includes(scope)
      const perTool = scope.startsWith('read:') && TOOL_PATTERN.test(scope.slice(5))
      if (!known && !perTool) throw new Error(`item ${index + 1}: unknown scope (known: ${KNOWN_SCOPES.join(', ')}, read:<tool>)`)
    }
    if (scopes.length === 0) throw new Error(`item ${index + 1}: empty scope list`)
    if (keys.some((k) => k.key === key)) throw new Error(`item ${index + 1}: key already used by another item`)
    keys.push({ tool, key, scopes: scopes as Scope[] })
  })
  return keys
}
