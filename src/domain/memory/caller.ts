/** Who is calling: the tool its key maps to and the key's scopes (design §5). */
import { AppError } from '../../errors/app-error.js'
import type { Scope } from '../../config/api-keys.js'
import type { ReadAccess } from '../../storage/memory-store.js'
import type { MemoryEntry } from './memory-entry.js'

export interface Caller {
  tool: string
  scopes: readonly Scope[]
}

export function requireScope(caller: Caller, scope: 'read' | 'write'): void {
  if (!caller.scopes.includes(scope) && !caller.scopes.includes('admin')) {
    throw new AppError('forbidden', `this key lacks the "${scope}" scope`)
  }
}

/** Tools that granted this caller read access through `read:<tool>` scopes. */
export function grantedTools(caller: Caller): string[] {
  return caller.scopes.filter((s) => s.startsWith('read:') && s !== 'read:shared').map((s) => s.slice(5))
}

export function readAccess(caller: Caller): ReadAccess {
  return { tool: caller.tool, grantedTools: grantedTools(caller), includeShared: true }
}

/** Own entries, shared entries and entries of granting tools are readable. */
export function canRead(caller: Caller, entry: MemoryEntry): boolean {
  return entry.tool === caller.tool || entry.visibility === 'shared' || grantedTools(caller).includes(entry.tool)
}
