/**
 * Narrowing and re-checking for `verify`: a chunk whose digests differ is merge-joined into
 * per-id candidates, and candidates are re-read later on both sides so that rows caught mid-write
 * settle instead of counting.
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { MemoryStore, ScanKey } from '../../storage/memory-store.js'
import { canonicalRow } from './canonical-row.js'
import { compareKeys, keyOf } from './scan-key.js'

export type VerifyReader = Pick<MemoryStore, 'scan' | 'getMany'>

/**
 * missing: on the primary only; extra: on the secondary only; different: both, canonical rows
 * differ; duplicate: a side's scan returned the key more than once (a store defect that a
 * per-row hash sum could hide).
 */
export type DiffKind = 'missing' | 'extra' | 'different' | 'duplicate'

export interface Candidate {
  kind: DiffKind
  tool: string
  id: string
  /** For duplicates: the side, and the scan range to re-read. */
  side?: 'primary' | 'secondary'
  range?: { after: ScanKey | null; last: ScanKey }
}

/** A confirmed difference with the rows as last read (null = absent). */
export interface Confirmed extends Candidate {
  primary: MemoryEntry | null
  secondary: MemoryEntry | null
}

/** Merge-join two key-ordered lists into candidates. */
export function narrow(primary: readonly MemoryEntry[], secondary: readonly MemoryEntry[], range: Candidate['range']): Candidate[] {
  const out: Candidate[] = []
  const dup = (e: MemoryEntry, side: 'primary' | 'secondary') => out.push({ kind: 'duplicate', tool: e.tool, id: e.id, side, range })
  let i = 0
  let j = 0
  while (i < primary.length || j < secondary.length) {
    const p = primary[i]
    const s = secondary[j]
    if (p !== undefined && i > 0 && compareKeys(keyOf(p), keyOf(primary[i - 1]!)) === 0) {
      dup(p, 'primary')
      i++
    } else if (s !== undefined && j > 0 && compareKeys(keyOf(s), keyOf(secondary[j - 1]!)) === 0) {
      dup(s, 'secondary')
      j++
    } else if (s === undefined || (p !== undefined && compareKeys(keyOf(p), keyOf(s)) < 0)) {
      out.push({ kind: 'missing', tool: p!.tool, id: p!.id })
      i++
    } else if (p === undefined || compareKeys(keyOf(p), keyOf(s)) > 0) {
      out.push({ kind: 'extra', tool: s.tool, id: s.id })
      j++
    } else {
      if (canonicalRow(p) !== canonicalRow(s)) out.push({ kind: 'different', tool: p.tool, id: p.id })
      i++
      j++
    }
  }
  return out
}

/** Rows of `side` in (after, last], reading in pages of `page`. */
export async function readRange(side: Pick<MemoryStore, 'scan'>, after: ScanKey | null, last: ScanKey, page: number): Promise<MemoryEntry[]> {
  const rows: MemoryEntry[] = []
  let cursor = after
  for (;;) {
    const batch = await side.scan(cursor, page)
    for (const row of batch) {
      if (compareKeys(keyOf(row), last) > 0) return rows
      rows.push(row)
    }
    if (batch.length < page) return rows
    cursor = keyOf(batch[batch.length - 1]!)
  }
}

/**
 * Re-read candidates on both sides and keep only those still different, classified by what the
 * sides hold now. Duplicates are re-read by scanning their range again (a point read cannot see them).
 */
export async function recheck(
  primary: VerifyReader, secondary: VerifyReader, candidates: readonly Candidate[], page: number,
): Promise<Confirmed[]> {
  const confirmed: Confirmed[] = []
  const seen = new Set<string>()
  const byTool = new Map<string, string[]>()
  for (const c of candidates) {
    if (c.kind === 'duplicate') {
      const rows = await readRange(c.side === 'primary' ? primary : secondary, c.range!.after, c.range!.last, page)
      const times = rows.filter((r) => r.tool === c.tool && r.id === c.id).length
      if (times > 1) confirmed.push({ ...c, primary: null, secondary: null })
      continue
    }
    const k = `${c.tool}\0${c.id}`
    if (seen.has(k)) continue
    seen.add(k)
    const ids = byTool.get(c.tool) ?? []
    ids.push(c.id)
    byTool.set(c.tool, ids)
  }
  for (const [tool, ids] of byTool) {
    for (let at = 0; at < ids.length; at += page) {
      const slice = ids.slice(at, at + page)
      const [p, s] = await Promise.all([primary.getMany(tool, slice), secondary.getMany(tool, slice)])
      const pById = new Map(p.map((e) => [e.id, e]))
      const sById = new Map(s.map((e) => [e.id, e]))
      for (const id of slice) {
        const diff = classify(pById.get(id) ?? null, sById.get(id) ?? null)
        if (diff !== null) confirmed.push({ kind: diff, tool, id, primary: pById.get(id) ?? null, secondary: sById.get(id) ?? null })
      }
    }
  }
  return confirmed
}

export function classify(p: MemoryEntry | null, s: MemoryEntry | null): Exclude<DiffKind, 'duplicate'> | null {
  if (p === null && s === null) return null
  if (s === null) return 'missing'
  if (p === null) return 'extra'
  return canonicalRow(p) === canonicalRow(s) ? null : 'different'
}
