// Login throttling through the API (docs/api.md §1, docs/auth.md "Throttling password guesses"): per
// (client, email) and per client, never per email alone. The socket peer is stood in for by a test header.
import { describe, expect, test } from 'bun:test'
import { harnessPerTestWithPeers, PASSWORD, type FixedClock, type Harness } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTestWithPeers((harness, fixed) => {
  h = harness
  clock = fixed
})

const login = (email: string, password: string, peer = '192.0.2.1') =>
  h.request('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-test-peer': peer } })
const failTimes = async (n: number, email: string, peer = '192.0.2.1') => {
  for (let i = 0; i < n; i++) expect((await login(email, 'wrong password!', peer)).status).toBe(401)
}

describe('login throttling', () => {
  test('the 11th attempt for one email from one address is 429 RATE_LIMITED with Retry-After in seconds', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    await failTimes(10, 'op@example.test')
    const limited = await login('op@example.test', PASSWORD)
    expect(limited.status).toBe(429)
    expect(limited.body).toEqual({ error: expect.stringContaining('try again in 900 s'), code: 'RATE_LIMITED' })
    expect(limited.headers.get('retry-after')).toBe('900')
    clock.advance(5 * 60)
    expect((await login('op@example.test', PASSWORD)).headers.get('retry-after')).toBe('600')
    clock.advance(10 * 60)
    expect((await login('op@example.test', PASSWORD)).status).toBe(200)
  })

  test('the email is normalised: case and spaces do not make a new count', async () => {
    for (const email of ['op@example.test', 'OP@example.test', ' op@EXAMPLE.test ']) await failTimes(3, email)
    await failTimes(1, 'Op@Example.Test')
    expect((await login('op@example.test', 'wrong password!')).status).toBe(429)
  })

  test('nobody is locked out of their own station: the same email from another address is unaffected', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    await failTimes(10, 'op@example.test', '203.0.113.66')
    expect((await login('op@example.test', PASSWORD, '203.0.113.66')).status).toBe(429)
    expect((await login('op@example.test', PASSWORD, '192.0.2.1')).status).toBe(200)
    expect((await login('op@example.test', PASSWORD, '2001:db8::1')).status).toBe(200)
  })

  test('other emails from the same address are allowed until the address has failed 100 times', async () => {
    await h.app.services.auth.createUser({ email: 'ok@example.test', password: PASSWORD })
    await failTimes(10, 'victim@example.test')
    expect((await login('victim@example.test', 'wrong password!')).status).toBe(429)
    expect((await login('ok@example.test', PASSWORD)).status).toBe(200)
    for (let i = 0; i < 9; i++) await failTimes(10, `u${i}@example.test`) // 100 failures from this address
    const limited = await login('ok@example.test', PASSWORD)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('900')
    expect((await login('ok@example.test', PASSWORD, '192.0.2.2')).status).toBe(200) // another address
  })

  test('a refused attempt is not counted: it does not extend the wait', async () => {
    await failTimes(10, 'op@example.test')
    clock.advance(14 * 60)
    for (let i = 0; i < 20; i++) expect((await login('op@example.test', 'wrong password!')).status).toBe(429)
    clock.advance(60)
    expect((await login('op@example.test', 'wrong password!')).status).toBe(401)
  })

  test('a success clears its (address, email) count', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    await failTimes(9, 'op@example.test')
    expect((await login('op@example.test', PASSWORD)).status).toBe(200)
    await failTimes(10, 'op@example.test')
    expect((await login('op@example.test', PASSWORD)).status).toBe(429)
  })

  test('successes do not count against the address', async () => {
    await h.app.services.auth.createUser({ email: 'op@example.test', password: PASSWORD })
    for (let i = 0; i < 150; i++) expect((await login('op@example.test', PASSWORD)).status).toBe(200)
  })

  test('an IPv6 client is counted by its /64', async () => {
    await failTimes(10, 'op@example.test', '2001:db8:1:2::1')
    expect((await login('op@example.test', 'wrong password!', '2001:db8:1:2::ffff')).status).toBe(429)
    expect((await login('op@example.test', 'wrong password!', '2001:db8:1:3::1')).status).toBe(401)
  })

  test('parallel guesses cannot all slip past the limit before one is counted', async () => {
    const replies = await Promise.all(Array.from({ length: 30 }, () => login('op@example.test', 'wrong password!')))
    const statuses = replies.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(20)
  })
})
