// Password guessing limits (docs/api.md §1, docs/auth.md "Throttling password guesses"): failures per
// (client, account) and per client, never per account alone, so nobody can lock a user out of their own
// station.
import { AppError } from '../domain/errors'
import { clientBlock, parseIp } from '../domain/ip'
import type { Clock } from '../domain/time'
import { AttemptLimiter } from './throttle'

const WINDOW_MICROS = 15 * 60 * 1_000_000
export const PER_ACCOUNT_AND_CLIENT = 10
export const PER_CLIENT = 100

/** One password check in progress: counted as a failure unless it reports success. */
export type Attempt = { succeeded(): void }

export type LoginThrottle = ReturnType<typeof createLoginThrottle>

/** The client as counted: its IPv4 address, or its IPv6 /64 (one host usually holds a whole /64). */
const clientKey = (address: string) => {
  const ip = parseIp(address)
  return ip === null ? address : clientBlock(ip)
}

export function createLoginThrottle(clock: Clock, options: { maxKeys?: number } = {}) {
  const byPair = new AttemptLimiter({ max: PER_ACCOUNT_AND_CLIENT, windowMicros: WINDOW_MICROS, clock, maxKeys: options.maxKeys })
  const byClient = new AttemptLimiter({ max: PER_CLIENT, windowMicros: WINDOW_MICROS, clock, maxKeys: options.maxKeys })

  /**
   * Checks both limits (429 with Retry-After when over one) and counts the attempt at once, before the
   * slow password check: parallel guesses cannot all pass the check before any of them is counted.
   * `account` is namespaced by the caller (`email:…` for logins, `user:…` for password changes).
   */
  function begin(address: string, account: string): Attempt {
    const client = clientKey(address)
    const pair = `${client}\n${account}`
    const wait = Math.max(byPair.retryAfter(pair), byClient.retryAfter(client))
    if (wait > 0) throw new AppError('RATE_LIMITED', `too many failed password attempts; try again in ${wait} s`, wait)
    byPair.record(pair)
    const at = byClient.record(client)
    return {
      succeeded() {
        byPair.reset(pair)
        byClient.forget(client, at)
      },
    }
  }

  return { begin, size: () => ({ pairs: byPair.size, clients: byClient.size }) }
}
