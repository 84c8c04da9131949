// The client address over a real socket (docs/auth.md "Client address and --trust-proxy"):
// X-Forwarded-For is believed only from a trusted proxy, read from the right; without --trust-proxy it
// changes nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { ADMIN, ROOT, startServer, type Running } from './process'

const dir = tempDir()
let behindProxy: Running
let direct: Running
beforeAll(async () => {
  // Bound to the IPv4-mapped loopback: IPv4 clients then show up as ::ffff:127.0.0.1, and the IPv4 range
  // given in TRUST_PROXY must still match them.
  ;[behindProxy, direct] = await Promise.all([
    startServer({ db: join(dir.path, 'proxied.db'), args: ['--host', '::ffff:127.0.0.1'], env: { TRUST_PROXY: '127.0.0.0/8' } }),
    startServer({ db: join(dir.path, 'direct.db') }),
  ])
})
afterAll(async () => {
  await Promise.all([behindProxy?.stop(), direct?.stop()])
  dir.remove()
})

const port = (server: Running) => new URL(server.url).port
const login = (server: Running, password: string, forwardedFor?: string) =>
  fetch(`http://127.0.0.1:${port(server)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) },
    body: JSON.stringify({ email: ADMIN.email, password }),
  })
/** In parallel: each wrong guess costs a full argon2id check on the server. */
const failTimes = async (server: Running, n: number, forwardedFor: (i: number) => string | undefined) => {
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => login(server, 'wrong password!', forwardedFor(i))))
  expect(replies.map((r) => r.status)).toEqual(Array(n).fill(401))
}

describe('behind a trusted proxy', () => {
  test('the rightmost untrusted X-Forwarded-For entry is the client: limited alone, others unaffected', async () => {
    await failTimes(behindProxy, 10, () => '203.0.113.5')
    const limited = await login(behindProxy, ADMIN.password, '203.0.113.5')
    expect(limited.status).toBe(429)
    expect(await limited.json()).toEqual({ error: expect.any(String), code: 'RATE_LIMITED' })
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(890)
    // A client cannot escape by writing its own entries to the left, nor hide behind a trusted hop.
    expect((await login(behindProxy, ADMIN.password, 'spoofed, 198.51.100.1, 203.0.113.5')).status).toBe(429)
    expect((await login(behindProxy, ADMIN.password, '203.0.113.5, 127.0.0.1')).status).toBe(429)
    expect((await login(behindProxy, ADMIN.password, '203.0.113.5:4711')).status).toBe(429) // a port some proxies add
    // Another client behind the same proxy, and the proxy itself, log in as usual.
    expect((await login(behindProxy, ADMIN.password, '203.0.113.6')).status).toBe(200)
    expect((await login(behindProxy, ADMIN.password)).status).toBe(200)
    // A malformed entry where the proxy should have written an address: the proxy's own view (its address).
    expect((await login(behindProxy, ADMIN.password, '203.0.113.5, not-an-address')).status).toBe(200)
  })
})

describe('without --trust-proxy', () => {
  test('X-Forwarded-For is ignored: a guesser cannot rotate it to get more tries', async () => {
    await failTimes(direct, 10, (i) => `198.51.100.${i + 1}`)
    expect((await login(direct, ADMIN.password, '198.51.100.200')).status).toBe(429)
    expect((await login(direct, ADMIN.password)).status).toBe(429)
  })
})

test('a bad --trust-proxy stops the start with the reason', () => {
  const result = Bun.spawnSync([process.execPath, join(ROOT, 'src/main.ts'), 'serve', '--db', join(dir.path, 'never.db'), '--trust-proxy', '10.0.0.0/8,10.0.0.300'])
  expect(result.exitCode).toBe(2)
  expect(result.stderr.toString()).toContain('ground-console: --trust-proxy: "10.0.0.300" is not an IP address or CIDR range')
})
