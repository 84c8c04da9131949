// Token buckets for the agent protocol's upstream limits (docs/api.md §4). Off unless configured: a 429 makes
// the stock agent drop an event for good. In memory: a restart refills every bucket.
import { AppError } from '../domain/errors'
import type { Clock } from '../domain/time'

export type RateRule = { count: number; perSeconds: number }
export const RATE_LIMIT_KINDS = ['poll', 'telemetry', 'events', 'batches'] as const
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number]
export type RateLimitConfig = Record<RateLimitKind, RateRule>

/** The values of the upstream protocol: per agent for poll and telemetry, per deployment for reports. */
export const UPSTREAM_RATE_LIMITS: RateLimitConfig = {
  poll: { count: 1, perSeconds: 10 },
  telemetry: { count: 1, perSeconds: 30 },
  events: { count: 100, perSeconds: 60 },
  batches: { count: 10, perSeconds: 60 },
}

/** Parses `COUNT/PERIOD` where PERIOD is seconds with an optional unit: `1/10s`, `100/1m`, `10/60`. */
export function parseRateRule(text: string): RateRule | null {
  const m = /^(\d+)\/(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim())
  if (!m) return null
  const count = Number(m[1])
  const perSeconds = Number(m[2]) * (m[3] === 'h' ? 3600 : m[3] === 'm' ? 60 : 1)
  return count >= 1 && perSeconds > 0 ? { count, perSeconds } : null
}

type Bucket = { tokens: number; at: number }

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMicro: number

  constructor(
    private readonly rule: RateRule,
    private readonly clock: Clock,
  ) {
    this.perMicro = rule.count / (rule.perSeconds * 1_000_000)
  }

  /** Takes a token: 0 when granted, else the whole seconds until one is available. */
  take(key: string): number {
    const now = this.clock()
    const bucket = this.buckets.get(key) ?? { tokens: this.rule.count, at: now }
    bucket.tokens = Math.min(this.rule.count, bucket.tokens + (now - bucket.at) * this.perMicro)
    bucket.at = now
    this.buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      if (this.buckets.size > 50_000) this.sweep(now)
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMicro / 1_000_000))
  }

  /** Forgets buckets that have refilled: they behave exactly like new ones. */
  private sweep(now: number) {
    for (const [key, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMicro >= this.rule.count) this.buckets.delete(key)
  }
}

export type RateLimits = { check(kind: RateLimitKind, key: string): void }

export function createRateLimits(config: RateLimitConfig | null, clock: Clock): RateLimits {
  if (!config) return { check() {} }
  const buckets = Object.fromEntries(RATE_LIMIT_KINDS.map((kind) => [kind, new TokenBuckets(config[kind], clock)])) as Record<RateLimitKind, TokenBuckets>
  return {
    check(kind, key) {
      const wait = buckets[kind].take(key)
      if (wait > 0) {
        const { count, perSeconds } = config[kind]
        throw new AppError('RATE_LIMITED', `rate limit for ${kind} is ${count} per ${perSeconds} s; retry in ${wait} s`, wait)
      }
    },
  }
}
