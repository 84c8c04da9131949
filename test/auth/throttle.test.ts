// The sliding-window attempt counter and the login policy built on it, on a hand-moved clock.
import { describe, expect, test } from 'bun:test'
import { createLoginThrottle } from '../../src/auth/login-throttle'
import { AttemptLimiter } from '../../src/auth/throttle'
import { AppError } from '../../src/domain/errors'
import { fixedClock } from '../helpers'

const MINUTE = 60 * 1_000_000
const limiter = (max = 3, windowMinutes = 15, maxKeys?: number) => {
  const clock = fixedClock()
  return { clock, limiter: new AttemptLimiter({ max, windowMicros: windowMinutes * MINUTE, clock, maxKeys }) }
}

describe('AttemptLimiter', () => {
  test('allows max attempts, then answers the seconds until the oldest leaves the window', () => {
    const { clock, limiter: l } = limiter(3)
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('k')).toBe(0)
      l.record('k')
    }
    expect(l.retryAfter('k')).toBe(900)
    clock.advance(899.2)
    expect(l.retryAfter('k')).toBe(1) // rounded up, never 0 while refused
    clock.advance(0.8)
    expect(l.retryAfter('k')).toBe(0)
  })

  test('the window slides: attempts leave it one by one, so a burst at a boundary gets no extra tries', () => {
    const { clock, limiter: l } = limiter(3)
    l.record('k') // t = 0
    clock.advance(14 * 60)
    l.record('k') // t = 14 min
    l.record('k')
    expect(l.retryAfter('k')).toBe(60) // until the first attempt is 15 minutes old
    clock.advance(60)
    expect(l.retryAfter('k')).toBe(0)
    l.record('k')
    // Two attempts from minute 14 are still in the window: refused until they leave it.
    expect(l.retryAfter('k')).toBe(14 * 60)
  })

  test('keys are independent; reset and forget take attempts back', () => {
    const { limiter: l } = limiter(2)
    l.record('a')
    const at = l.record('a')
    expect(l.retryAfter('a')).toBeGreaterThan(0)
    expect(l.retryAfter('b')).toBe(0)
    l.forget('a', at)
    expect(l.retryAfter('a')).toBe(0)
    l.record('a')
    l.reset('a')
    expect(l.retryAfter('a')).toBe(0)
    expect(l.size).toBe(0)
    l.forget('unknown', at) // nothing to take back: no error
  })

  test('keys whose attempts all expired are swept, so a flood of distinct keys does not stay in memory', () => {
    const { clock, limiter: l } = limiter(10)
    for (let i = 0; i < 5000; i++) l.record(`flood-${i}`)
    expect(l.size).toBe(5000)
    clock.advance(15 * 60)
    l.record('late') // a window after the last sweep: this record sweeps
    expect(l.size).toBe(1)
  })

  test('never holds more than maxKeys keys; the least recently attempted go first', () => {
    const { limiter: l } = limiter(3, 15, 100)
    l.record('kept')
    l.record('kept')
    l.record('kept')
    for (let i = 0; i < 1000; i++) {
      l.record(`flood-${i}`)
      if (i % 50 === 0) l.record('kept') // still attempting: stays
    }
    expect(l.size).toBe(100)
    expect(l.retryAfter('kept')).toBeGreaterThan(0)
    expect(l.retryAfter('flood-0')).toBe(0)
  })

  test('after many attempts, the wait runs from the max-th newest (only that many are kept)', () => {
    const { clock, limiter: l } = limiter(3)
    for (let i = 0; i < 100; i++) {
      l.record('k') // at 0 s, 1 s, … 99 s
      clock.advance(1)
    }
    // Now 100 s; the three newest are from 97, 98 and 99 s: free again at 97 + 900 s.
    expect(l.retryAfter('k')).toBe(897)
  })
})

describe('login throttle', () => {
  const refused = (run: () => unknown) => {
    try {
      run()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).code).toBe('RATE_LIMITED')
      return (error as AppError).retryAfter
    }
    throw new Error('expected RATE_LIMITED')
  }

  test('10 failures per (client, account), 100 per client, never per account alone', () => {
    const clock = fixedClock()
    const throttle = createLoginThrottle(clock)
    for (let i = 0; i < 10; i++) throttle.begin('192.0.2.1', 'email:op@x')
    expect(refused(() => throttle.begin('192.0.2.1', 'email:op@x'))).toBe(900)
    throttle.begin('192.0.2.2', 'email:op@x') // another client: unaffected
    for (let i = 10; i < 100; i++) throttle.begin('192.0.2.1', `email:u${i}@x`)
    expect(refused(() => throttle.begin('192.0.2.1', 'email:fresh@x'))).toBe(900)
    throttle.begin('192.0.2.3', 'email:fresh@x')
  })

  test('a success clears its pair and is not counted against the client', () => {
    const throttle = createLoginThrottle(fixedClock())
    for (let i = 0; i < 9; i++) throttle.begin('192.0.2.1', 'email:op@x')
    throttle.begin('192.0.2.1', 'email:op@x').succeeded()
    for (let i = 0; i < 10; i++) throttle.begin('192.0.2.1', 'email:op@x')
    refused(() => throttle.begin('192.0.2.1', 'email:op@x'))
    // 9 + 10 failures and one success from this client: 81 more failures fit under 100.
    for (let i = 0; i < 81; i++) throttle.begin('192.0.2.1', `email:u${i}@x`)
    refused(() => throttle.begin('192.0.2.1', 'email:another@x'))
  })

  test('an IPv6 client is counted by its /64; a mapped IPv4 address is the IPv4 address', () => {
    const throttle = createLoginThrottle(fixedClock())
    for (let i = 0; i < 10; i++) throttle.begin(`2001:db8:1:2::${i.toString(16)}`, 'email:op@x')
    refused(() => throttle.begin('2001:db8:1:2:ffff::1', 'email:op@x'))
    throttle.begin('2001:db8:1:3::1', 'email:op@x')
    for (let i = 0; i < 10; i++) throttle.begin('::ffff:192.0.2.9', 'email:op@x')
    refused(() => throttle.begin('192.0.2.9', 'email:op@x'))
  })
})
