// Counts failed attempts per key (an email, a client address) in fixed windows, in memory. Used to slow
// down password guessing; a restart forgets the counts, which only helps a guesser by one window.
export class AttemptLimiter {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>()

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const window = this.current(key)
    if (!window || window.failures < this.maxFailures) return 0
    return Math.max(1, Math.ceil((window.resetAt - this.now()) / 1000))
  }

  fail(key: string) {
    const window = this.current(key)
    if (window) window.failures++
    else this.windows.set(key, { failures: 1, resetAt: this.now() + this.windowMs })
    if (this.windows.size > 10_000) this.sweep()
  }

  reset(key: string) {
    this.windows.delete(key)
  }

  private current(key: string) {
    const window = this.windows.get(key)
    if (window && window.resetAt <= this.now()) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }

  private sweep() {
    const now = this.now()
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key)
  }
}
