/**
 * A batch written off the request path (access statistics, the cross-tool access log): subclasses
 * collect on the request path and implement `writeBatch`, which runs every `intervalMs`, on
 * `flush()` and at `stop()`; concurrent flushes share one run. The timer is unref'd, so it never
 * keeps a process alive.
 */
export abstract class PeriodicBatch {
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null

  constructor(private readonly intervalMs: number) {}

  /** Write what is pending (called by one flush at a time). */
  protected abstract writeBatch(): Promise<void>

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs)
    this.timer.unref()
  }

  /** Write what is pending now, or join the write in progress. */
  flush(): Promise<void> {
    this.flushing ??= this.writeBatch().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  /** Stop the timer and write what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }
}
