/**
 * Identity (design §5): `Authorization: Bearer <key>` → the key's tool and scopes. With no keys
 * configured (local mode, loopback only) the tool comes from `X-Memory-Tool` or is `default`.
 * Keys are compared in constant time on their SHA-256 digests, every key is checked (no early
 * exit). Fastify's request serializer logs no headers, so the key never reaches a log line.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { ApiKey, Scope } from '../../config/api-keys.js'
import { AppError } from '../../errors/app-error.js'
import type { Caller } from '../../domain/memory/caller.js'
import { TOOL_PATTERN } from '../../domain/memory/memory-entry.js'

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
}

const LOCAL_SCOPES: readonly Scope[] = ['read', 'write']

export type Authenticator = (request: FastifyRequest) => Caller

export function createAuthenticator(keys: readonly ApiKey[]): Authenticator {
  if (keys.length === 0) return localCaller
  const lookup = keyLookup(keys.map((k) => [k.key, { tool: k.tool, scopes: k.scopes }]))
  return (request) => {
    const found = lookup(bearer(request))
    if (!found) throw new AppError('unauthorized', 'the API key is not valid')
    return found
  }
}

/**
 * Guard for operational endpoints that reveal every tool (`/metrics`): open in local mode; with
 * keys, the caller must present MEMORY_ADMIN_KEY or a key with the `metrics` or `admin` scope.
 */
export function createOpsGuard(keys: readonly ApiKey[], adminKey: string | undefined): (request: FastifyRequest) => void {
  if (keys.length === 0) return () => {}
  const entries: [string, Caller][] = keys
    .filter((k) => k.scopes.includes('metrics') || k.scopes.includes('admin'))
    .map((k) => [k.key, { tool: k.tool, scopes: k.scopes }])
  if (adminKey) entries.push([adminKey, { tool: 'admin', scopes: ['admin'] }])
  const lookup = keyLookup(entries)
  return (request) => {
    if (!lookup(bearer(request))) throw new AppError('unauthorized', 'this endpoint needs the admin key or a key with the metrics scope')
  }
}

/**
 * Guard for admin endpoints (`/admin/*`: traffic state today, traffic changes later): open only in
 * local mode (no API keys and no admin key, loopback-only by config); otherwise MEMORY_ADMIN_KEY or
 * a key with the `admin` scope.
 */
export function createAdminGuard(keys: readonly ApiKey[], adminKey: string | undefined): (request: FastifyRequest) => void {
  if (keys.length === 0 && !adminKey) return () => {}
  const entries: [string, Caller][] = keys
    .filter((k) => k.scopes.includes('admin'))
    .map((k) => [k.key, { tool: k.tool, scopes: k.scopes }])
  if (adminKey) entries.push([adminKey, { tool: 'admin', scopes: ['admin'] }])
  const lookup = keyLookup(entries)
  return (request) => {
    if (!lookup(bearer(request))) throw new AppError('unauthorized', 'this endpoint needs the admin key or a key with the admin scope')
  }
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  if (!match?.[1]) throw new AppError('unauthorized', 'send Authorization: Bearer <api key>')
  return match[1]
}

/** Constant-time lookup on SHA-256 digests; every candidate is compared (no early exit). */
function keyLookup(entries: [string, Caller][]): (presented: string) => Caller | undefined {
  const digests = entries.map(([key, caller]) => ({ digest: sha256(key), caller }))
  return (presented) => {
    const digest = sha256(presented)
    let found: Caller | undefined
    for (const candidate of digests) {
      if (timingSafeEqual(candidate.digest, digest) && !found) found = candidate.caller
    }
    return found
  }
}

function localCaller(request: FastifyRequest): Caller {
  const header = request.headers['x-memory-tool']
  if (header === undefined) return { tool: 'default', scopes: LOCAL_SCOPES }
  if (typeof header !== 'string' || !TOOL_PATTERN.test(header)) {
    throw new AppError('validation_failed', 'X-Memory-Tool must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}', {
      errors: [{ pointer: '/headers/x-memory-tool', message: 'invalid tool name' }],
    })
  }
  return { tool: header, scopes: LOCAL_SCOPES }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}
