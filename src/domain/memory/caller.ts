/**
 * Who is calling and what they may read (design §5). A key maps to one tool and scopes:
 *
 * | scope         | may read                                                                  |
 * |---------------|---------------------------------------------------------------------------|
 * | `read`        | its own entries, `shared` entries of every tool, and the private entries  |
 * |               | of tools whose registration lists it among `readers` (the owner's grant)  |
 * | `read:shared` | `shared` entries of every tool                                            |
 * | `read:<tool>` | every entry of `<tool>` (an operator's grant, written into the key)       |
 * | `write`       | (writes its own entries only; nothing else ever writes another's)          |
 * | `admin`       | as `read` + `write`, plus the registry and admin routes                   |
 *
 * Read scopes add up. Anything else reads as absent: 404 for one entry, left out of lists/search.
 */
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

/** Whether the key may read its own tool's entries (and use registry grants): `read` or `admin`. */
export function readsOwn(caller: Caller): boolean {
  return caller.scopes.includes('read') || caller.scopes.includes('admin')
}

/** Whether the key may read `shared` entries of every tool. */
export function readsShared(caller: Caller): boolean {
  return readsOwn(caller) || caller.scopes.includes('read:shared')
}

/** Tools granted to the key itself through `read:<tool>` scopes. */
export function scopeGrants(caller: Caller): string[] {
  return caller.scopes.filter((s) => s.startsWith('read:') && s !== 'read:shared').map((s) => s.slice(5))
}

/** Any read at all: `read`, `read:shared`, `read:<tool>` or `admin`; else 403. */
export function requireSomeRead(caller: Caller): void {
  if (!readsShared(caller) && scopeGrants(caller).length === 0) {
    throw new AppError('forbidden', 'this key lacks a read scope (read, read:shared or read:<tool>)')
  }
}

/** Every tool whose private entries the caller may read besides its own. */
export function grantedTools(caller: Caller, registryGrants: readonly string[]): string[] {
  const granted = new Set(scopeGrants(caller))
  if (readsOwn(caller)) for (const tool of registryGrants) granted.add(tool)
  granted.delete(caller.tool)
  return [...granted].sort()
}

/** The store-level access of a caller; `registryGrants` = tools whose registration lists it as reader. */
export function readAccess(caller: Caller, registryGrants: readonly string[]): ReadAccess {
  const granted = grantedTools(caller, registryGrants)
  if (!readsOwn(caller) && scopeGrants(caller).includes(caller.tool)) granted.push(caller.tool)
  return { tool: readsOwn(caller) ? caller.tool : null, grantedTools: granted, includeShared: readsShared(caller) }
}

/** Whether the caller may read `entry` (the single-entry twin of `readAccess`). */
export function canRead(caller: Caller, entry: MemoryEntry, registryGrants: readonly string[]): boolean {
  if (entry.tool === caller.tool && readsOwn(caller)) return true
  if (entry.visibility === 'shared' && readsShared(caller)) return true
  return scopeGrants(caller).includes(entry.tool) || grantedTools(caller, registryGrants).includes(entry.tool)
}
