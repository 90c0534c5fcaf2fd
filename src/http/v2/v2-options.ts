import type { MemoryEntry } from '../../domain/memory/memory-entry.js'
import type { MemoryManager } from '../../domain/memory/memory-manager.js'

/** What the /v2 route plugins receive from the composition root. */
export interface V2Options {
  manager: MemoryManager
  idempotencyTtlMs: number
  /** Called after every successful create/replace/patch/upsert (metrics hooks). */
  onWrite: (entry: MemoryEntry) => void
}
