/**
 * POST /v2/context: the best entries a caller may read that fit in `maxTokens` (design §5).
 *
 * Candidates are chosen by indexes, never by a scan of the tools: the top entries by importance
 * (memories_tool_importance_idx), the newest (the primary key), and, with a query, the best
 * full-text matches (the GIN index); at most `maxCandidates` in all, de-duplicated. They are scored
 * and packed by `packContext` (context-packer.ts: the formula and the packing rules). Entries
 * outside the candidate set are not considered: on a tool larger than `maxCandidates`, an entry
 * that is neither among the most important, nor the newest, nor the best matches is not chosen.
 */
import { AppError } from '../../errors/app-error.js'
import type { MemoryStore } from '../../storage/memory-store.js'
import type { Caller } from '../memory/caller.js'
import type { MemoryManager } from '../memory/memory-manager.js'
import {
  type ContextCandidate, type ContextStrategy, type ContextWeights, type OmittedItem, type PackedItem, packContext, STRATEGY_WEIGHTS,
} from './context-packer.js'

export interface ContextRequest {
  tools?: string[] | undefined
  query?: string | undefined
  types?: string[] | undefined
  tags?: string[] | undefined
  maxTokens: number
  strategy: ContextStrategy
  /** Overrides of the strategy's weights. */
  weights?: Partial<ContextWeights> | undefined
  /** Age at which recency counts half. @default 168 (a week) */
  halfLifeHours?: number | undefined
}

export interface ContextAnswer {
  items: PackedItem[]
  totalTokens: number
  maxTokens: number
  weights: ContextWeights
  /** Candidates scored (the packing chose among these). */
  candidates: number
  /** The best-scored left-out candidates (at most `MAX_OMITTED_LISTED`), and how many there were. */
  omitted: OmittedItem[]
  omittedCount: number
}

/** Left-out candidates listed in an answer; the rest are only counted. */
export const MAX_OMITTED_LISTED = 50
/** Full-text matches taken as candidates (the store ranks at most this many per call). */
const MAX_MATCHES = 100

export class ContextService {
  constructor(
    private readonly manager: MemoryManager,
    private readonly options: { maxCandidates: number; now: () => number },
  ) {}

  private get store(): MemoryStore {
    return this.manager.store
  }

  async pack(caller: Caller, request: ContextRequest): Promise<ContextAnswer> {
    const filter = await this.manager.filter(caller, { tools: request.tools, types: request.types, tags: request.tags })
    const query = request.query?.trim() ?? ''
    const max = this.options.maxCandidates
    const matches = query === '' ? 0 : Math.min(MAX_MATCHES, Math.floor(max / 2))
    const ranked = Math.max(1, Math.floor((max - matches) / 2))
    const [important, recent, hits] = await Promise.all([
      this.store.topEntries(filter, 'importance', ranked),
      this.store.topEntries(filter, 'recent', ranked),
      matches === 0 ? [] : this.store.search({ text: query, mode: 'fulltext', filter, limit: matches }),
    ])
    const candidates = new Map<string, ContextCandidate>()
    for (const hit of hits) candidates.set(hit.entry.id, { entry: hit.entry, relevance: hit.score })
    for (const entry of [...important, ...recent]) if (!candidates.has(entry.id)) candidates.set(entry.id, { entry, relevance: 0 })

    const weights = { ...STRATEGY_WEIGHTS[request.strategy], ...definedOnly(request.weights ?? {}) }
    // Presets are all above 0, so only three explicit zeros leave nothing to score by.
    if (weights.relevance === 0 && weights.importance === 0 && weights.recency === 0) {
      throw new AppError('validation_failed', 'at least one weight must be above 0', {
        errors: [{ pointer: '/body/weights', message: 'all weights are 0' }],
      })
    }
    const packed = packContext([...candidates.values()], {
      maxTokens: request.maxTokens,
      weights,
      halfLifeMs: (request.halfLifeHours ?? 168) * 3_600_000,
      now: this.options.now(),
    })
    this.manager.noteReads(caller, packed.items.map((i) => i.entry), 'context')
    return {
      items: packed.items,
      totalTokens: packed.totalTokens,
      maxTokens: request.maxTokens,
      weights,
      candidates: candidates.size,
      omitted: packed.omitted.slice(0, MAX_OMITTED_LISTED),
      omittedCount: packed.omitted.length,
    }
  }
}

function definedOnly(weights: Partial<ContextWeights>): Partial<ContextWeights> {
  return Object.fromEntries(Object.entries(weights).filter(([, v]) => v !== undefined))
}
