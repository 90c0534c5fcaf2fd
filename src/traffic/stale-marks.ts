/**
 * Which side may be behind, per tool: when a mirror write to a side fails, that side lacks an
 * acknowledged write until the repair worker replays its outbox row. Until then this process
 * neither reads that tool from that side (its database, or its cache, would answer with the older
 * version) nor makes that side the tool's write primary (it would derive the next version from the
 * older one). Lists and searches, which span tools through shared entries, avoid a side with any
 * mark.
 *
 * A mark is set after its outbox row was written (write-ahead), so once the oldest row left in the
 * holding side's outbox is younger than the mark, the mark's row has been replayed and the mark is
 * dropped (`clearBefore`). Marks are per process: another replica learns of a failing green from
 * its own errors and its own guard.
 */
import type { Side } from './routing.js'

export class StaleMarks {
  private readonly marks: Record<Side, Map<string, number>> = { blue: new Map(), green: new Map() }

  /** `side` missed a mirror write of `tool` at `at` (ms). */
  mark(side: Side, tool: string, at: number): void {
    this.marks[side].set(tool, at)
  }

  isStale(side: Side, tool: string): boolean {
    return this.marks[side].has(tool)
  }

  /** Whether any tool is marked on `side`. */
  any(side: Side): boolean {
    return this.marks[side].size > 0
  }

  count(side: Side): number {
    return this.marks[side].size
  }

  /** Drop the marks of `side` set before `before` (ms); every outbox row older than that is gone. */
  clearBefore(side: Side, before: number): void {
    for (const [tool, at] of this.marks[side]) if (at < before) this.marks[side].delete(tool)
  }
}
