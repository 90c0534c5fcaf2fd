/**
 * Hot-cache key layout: `mcpmem:<side>:v1:{<tool>}:<kind>:<id>`.
 * - `<side>` (blue/green) keeps the two backends of a migration apart, and `v1` is the layout
 *   version: changing the value format means bumping it, so old values are simply never read.
 * - `{<tool>}` is the Redis Cluster hash tag: all of a tool's keys live in one slot, so MGET and
 *   scripts over them work in a cluster. Only the first `{…}` of a key counts as the tag, which is
 *   why the side is not in braces. Tool names cannot contain braces.
 */
import { createHash } from 'node:crypto'

export const CACHE_LAYOUT_VERSION = 'v1'

export class CacheKeys {
  private readonly prefix: string

  constructor(side: string) {
    this.prefix = `mcpmem:${side}:${CACHE_LAYOUT_VERSION}:`
  }

  /** The cached entry (or its tombstone) of (tool, id). */
  entry(tool: string, id: string): string {
    return `${this.prefix}{${tool}}:e:${id}`
  }

  /** Pointer from a key to the id holding it; keys are hashed to bound the Redis key length. */
  key(tool: string, key: string): string {
    return `${this.prefix}{${tool}}:k:${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`
  }

  /** The ids with a content hash, valid for one generation of the tool. */
  hash(tool: string, contentHash: string): string {
    return `${this.prefix}{${tool}}:h:${contentHash}`
  }

  /** The tool's write generation: bumped by every write, it invalidates the tool's hash lists. */
  generation(tool: string): string {
    return `${this.prefix}{${tool}}:gen`
  }
}
