/**
 * Sticky routing buckets (design §7): `bucket = hash(salt, routing key) mod 100`. The same key lands
 * in the same bucket on every replica and for reads and writes alike, so a key's reads follow its
 * writes. Green owns the lowest buckets: bucket < greenReadPercent reads from green, bucket <
 * greenWritePercent writes to green first; with write <= read (a config rule) every green-primary
 * bucket is also a green-read bucket.
 */
import { createHash } from 'node:crypto'
import type { TrafficSettings } from './stages.js'

export type Side = 'blue' | 'green'

export function otherSide(side: Side): Side {
  return side === 'blue' ? 'green' : 'blue'
}

/** 0..99 for (salt, key). sha256 rather than a faster hash: even spread matters more than ~1 µs. */
export function bucketOf(salt: string, key: string): number {
  return createHash('sha256').update(salt).update('\0').update(key).digest().readUInt32BE(0) % 100
}

/**
 * The bucket of an operation: by `id` when the routing key is `id` and the operation names one,
 * else by tool (lists, searches and key lookups have no single id).
 */
export function bucketFor(settings: TrafficSettings, tool: string, id?: string): number {
  const key = settings.routingKey === 'id' && id !== undefined ? id : tool
  return bucketOf(settings.routingSalt, key)
}

export function readSide(settings: TrafficSettings, bucket: number): Side {
  return bucket < settings.greenReadPercent ? 'green' : 'blue'
}

export function writePrimary(settings: TrafficSettings, bucket: number): Side {
  return bucket < settings.greenWritePercent ? 'green' : 'blue'
}

/** Whether writes reach the other side as mirrors. */
export function mirrors(settings: TrafficSettings): boolean {
  return settings.dualWrite
}

/**
 * The side that holds everything for operations with no routing key (whole-store stats, scans,
 * idempotency records, cross-tool reads by id under tool routing): blue, which receives every write
 * until `complete`, and green once reads are all green.
 */
export function wholeStoreSide(settings: TrafficSettings): Side {
  return settings.greenReadPercent === 100 ? 'green' : 'blue'
}
