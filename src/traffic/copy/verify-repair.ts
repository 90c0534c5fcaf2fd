/**
 * `verify --repair`: make the secondary hold what the primary holds, for confirmed differences,
 * through the MemoryStore contract only.
 *
 * applyMirror is newer-version-wins, which decides most cases:
 * - missing, or an older version on the secondary: mirror the primary's entry.
 * - extra (absent on the primary): mirror a tombstone of version secondary + 1, which removes the
 *   row and keeps an older copy from coming back.
 * - same version, different content: mirroring the primary's entry is 'stale' (versions tie), and
 *   deleting on the secondary first does not help (its tombstone takes version + 1, beating the
 *   primary's entry). Decision: give the primary's row one no-op revision with a conditional
 *   `update(entry, { expectVersion })` (same fields and updatedAt; only the version moves to v + 1),
 *   then mirror that. Both sides end byte-identical at v + 1. The conditional update loses to any
 *   concurrent write (that write is mirrored by dual-write anyway); the only visible effect is a new
 *   ETag on an unchanged entry.
 * - the secondary newer than the primary, or holding a newer delete: not rolled back (that would
 *   undo a write); reported as unrepaired for an operator.
 * - duplicates from scan: a store defect no mirror can fix; reported.
 * Every attempted id is re-read on both sides afterwards; only ids equal then count as repaired.
 */
import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import { isAppError } from '../../errors/app-error.js'
import type { MemoryStore } from '../../storage/memory-store.js'
import { errorMessage } from './concurrency.js'
import { classify, type Confirmed } from './verify-diff.js'

export type RepairPrimary = Pick<MemoryStore, 'getMany' | 'update'>
export type RepairSecondary = Pick<MemoryStore, 'getMany' | 'applyMirror'>

export interface Unrepaired {
  kind: Confirmed['kind']
  tool: string
  id: string
  reason: string
}

export interface RepairOutcome {
  repaired: number
  unrepaired: Unrepaired[]
  /** Backend errors while repairing (the run fails with exit 2). */
  errors: string[]
}

export async function repairDifferences(
  primary: RepairPrimary, secondary: RepairSecondary, confirmed: readonly Confirmed[], now: () => number,
): Promise<RepairOutcome> {
  const outcome: RepairOutcome = { repaired: 0, unrepaired: [], errors: [] }
  for (const c of confirmed) {
    let reason: string | null
    try {
      reason = await repairOne(primary, secondary, c, now)
      if (reason === null) reason = await stillDifferent(primary, secondary, c)
    } catch (err) {
      outcome.errors.push(`repair of ${c.tool}/${c.id}: ${errorMessage(err)}`)
      reason = `repair failed: ${errorMessage(err)}`
    }
    if (reason === null) outcome.repaired++
    else outcome.unrepaired.push({ kind: c.kind, tool: c.tool, id: c.id, reason })
  }
  return outcome
}

/** Null when the repair was applied; else why it was not. */
async function repairOne(primary: RepairPrimary, secondary: RepairSecondary, c: Confirmed, now: () => number): Promise<string | null> {
  if (c.kind === 'duplicate') return `scan of the ${c.side} returned the row more than once (a store defect; not repairable by mirror)`
  if (c.primary === null) {
    if (c.secondary === null) return null
    const tombstone = { tool: c.tool, id: c.id, version: c.secondary.version + 1, deletedAt: new Date(now()) }
    const result = await secondary.applyMirror({ kind: 'tombstone', tombstone })
    return result === 'applied' ? null : 'the secondary changed meanwhile (tombstone was stale); run verify again'
  }
  const p = c.primary
  if ((await secondary.applyMirror({ kind: 'entry', entry: p })) === 'applied') return null
  const s = await one(secondary, p)
  if (s !== null && s.version > p.version) {
    return `the secondary holds a newer version (${s.version} > ${p.version}); not rolled back`
  }
  if (s === null || s.version < p.version) {
    return `the secondary remembers a delete of this id at version >= ${p.version}; not resurrected`
  }
  // Same version, other content: one no-op revision on the primary so that its row wins by version.
  let bumped: MemoryEntry
  try {
    bumped = await primary.update(p, { expectVersion: p.version })
  } catch (err) {
    if (isAppError(err) && (err.code === 'version_conflict' || err.code === 'not_found')) {
      return 'the primary changed during repair; run verify again'
    }
    throw err
  }
  const result = await secondary.applyMirror({ kind: 'entry', entry: bumped })
  return result === 'applied' ? null : 'the secondary changed during repair; run verify again'
}

async function stillDifferent(primary: RepairPrimary, secondary: RepairSecondary, c: Confirmed): Promise<string | null> {
  const [p, s] = await Promise.all([one(primary, c), one(secondary, c)])
  const diff = classify(p, s)
  return diff === null ? null : `still ${diff} after repair`
}

async function one(store: Pick<MemoryStore, 'getMany'>, key: { tool: string; id: string }): Promise<MemoryEntry | null> {
  return (await store.getMany(key.tool, [key.id]))[0] ?? null
}
