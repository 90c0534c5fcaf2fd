/**
 * Adaptive chunk size: aim for chunks of about `targetMs`. A chunk faster than half the target
 * doubles the size, one slower than twice the target halves it; in between it stays (a dead band,
 * so the size does not oscillate on noise). Pure: durations are passed in.
 */
export interface ChunkSizerOptions {
  initial: number
  min: number
  max: number
  targetMs: number
}

export class ChunkSizer {
  private current: number

  constructor(private readonly options: ChunkSizerOptions) {
    const { min, max, initial, targetMs } = options
    if (!(min >= 1 && max >= min)) throw new RangeError(`chunk bounds must satisfy 1 <= min <= max (got ${min}..${max})`)
    if (!(targetMs > 0)) throw new RangeError(`target chunk time must be > 0 ms (got ${targetMs})`)
    this.current = clamp(Math.floor(initial), min, max)
  }

  get size(): number {
    return this.current
  }

  /** Record how long a chunk of the current size took; returns the next size. */
  record(durationMs: number): number {
    const { min, max, targetMs } = this.options
    if (durationMs < targetMs / 2) this.current = clamp(this.current * 2, min, max)
    else if (durationMs > targetMs * 2) this.current = clamp(Math.floor(this.current / 2), min, max)
    return this.current
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n))
}
