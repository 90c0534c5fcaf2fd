/**
 * The timer of a batch written off the request path (access statistics, the cross-tool access log):
 * `write` runs every `intervalMs`, on `flush()` and at `stop()`; concurrent flushes share one run.
 * The timer is unref'd, so it never keeps a process alive.
 */
export class PeriodicFlush {
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null

  constructor(
    private readonly intervalMs: number,
    private readonly write: () => Promise<void>,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs)
    this.timer.unref()
  }

  /** Run `write` now, or join the run in progress. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
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
