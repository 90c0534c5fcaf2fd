import type { MemoryManager } from '../../domain/memory/memory-manager.js'

/** What the /v2 route plugins receive from the composition root. */
export interface V2Options {
  manager: MemoryManager
  idempotencyTtlMs: number
}
