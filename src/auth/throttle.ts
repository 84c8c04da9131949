// Counts failed attempts per key in a sliding window, in memory: at most `max` attempts in any
// `windowMicros` (docs/auth.md "Throttling password guesses"). A restart forgets the counts, which only
// helps a guesser by one window.
import type { Clock } from '../domain/time'

export type LimiterOptions = { max: number; windowMicros: number; clock: Clock; maxKeys?: number }

export class AttemptLimiter {
  /** Per key, the instants of its attempts still in the window, oldest first; at most `max` of them. */
  private readonly attempts = new Map<string, number[]>()
  private readonly max: number
  private readonly windowMicros: number
  private readonly clock: Clock
  private readonly maxKeys: number
  private lastSweep: number

  constructor({ max, windowMicros, clock, maxKeys = 100_000 }: LimiterOptions) {
    this.max = max
    this.windowMicros = windowMicros
    this.clock = clock
    this.maxKeys = maxKeys
    this.lastSweep = clock()
  }

  get size() {
    return this.attempts.size
  }

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const now = this.clock()
    const times = this.live(key, now)
    if (!times || times.length < this.max) return 0
    return Math.max(1, Math.ceil((times[times.length - this.max]! + this.windowMicros - now) / 1_000_000))
  }

  /** Counts an attempt now and returns its instant, for `forget`. */
  record(key: string): number {
    const now = this.clock()
    const times = this.live(key, now) ?? []
    times.push(now)
    if (times.length > this.max) times.shift()
    // Re-inserted so that the map's order is least recently attempted first: the cap evicts idle keys.
    this.attempts.delete(key)
    this.attempts.set(key, times)
    if (now - this.lastSweep >= this.windowMicros) this.sweep()
    // Bounded memory under a flood of distinct keys: each one costs a failed password check, so a real
    // flood cannot reach the cap within one window; if it ever does, the idlest keys go first.
    for (const oldest of this.attempts.keys()) {
      if (this.attempts.size <= this.maxKeys) break
      this.attempts.delete(oldest)
    }
    return now
  }

  /** Takes back one attempt recorded at `at` (it turned out not to be a failure). */
  forget(key: string, at: number) {
    const times = this.attempts.get(key)
    const index = times?.lastIndexOf(at) ?? -1
    if (index < 0) return
    times!.splice(index, 1)
    if (times!.length === 0) this.attempts.delete(key)
  }

  reset(key: string) {
    this.attempts.delete(key)
  }

  /** Drops every key whose attempts have all left the window. */
  sweep() {
    const now = this.clock()
    this.lastSweep = now
    for (const key of this.attempts.keys()) this.live(key, now)
  }

  private live(key: string, now: number): number[] | undefined {
    const times = this.attempts.get(key)
    if (!times) return undefined
    let expired = 0
    while (expired < times.length && times[expired]! + this.windowMicros <= now) expired++
    if (expired === times.length) {
      this.attempts.delete(key)
      return undefined
    }
    if (expired > 0) times.splice(0, expired)
    return times
  }
}
