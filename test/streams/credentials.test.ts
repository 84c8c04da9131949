// Open streams and the credentials they were opened with (docs/api.md §3.3): a revoked key, a logout and a
// password change end their streams within a second or so (the recheck runs every second); a stream of a
// credential still valid goes on.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { CHUNK_MAX } from '../../src/http/streams'
import { createHarness, createTenant, fixedClock, PASSWORD, queryDb, storageBusy, type Harness, type Tenant } from '../helpers'
import { batch, eventStream, eventsOf, expectArrivals, listStream, payloadI, progress, report, statusOf, until, type Stream } from './kit'

let h: Harness
let t: Tenant
let dep: string
let cutOff: Request[]
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
  cutOff = []
  h.app.controlSocketsWith({ keepOpen() {}, cutOff: (request) => cutOff.push(request) })
})
afterEach(() => h.close())

const login = async (email = t.email) => (await h.request('POST', '/api/auth/login', { body: { email, password: PASSWORD } })).headers.get('set-cookie')!.split(';')[0]!
const newKey = async () => ({ 'x-api-key': (await h.request('POST', '/api/keys', { body: { name: 'other' }, headers: { cookie: t.cookie } })).body.key as string })

/** Opens an event stream and reads its status, so that it is live. */
async function live(headers: Record<string, string>): Promise<Stream> {
  const s = await eventStream(h, dep, headers)
  expect(statusOf(await s.next())).toBe('pending')
  return s
}

/** How long the stream took to end after `act`; fails past 2 s. */
async function endsAfter(s: Stream, act: () => Promise<unknown>): Promise<number> {
  const started = Date.now()
  await act()
  expect(await s.rest(2000)).toEqual([])
  expect(s.ended).toBe(true)
  return Date.now() - started
}

test('a revoked key, a logout and a password change (the other session’s stream) end their streams within ~1.5 s; the streams of valid credentials go on', async () => {
  const other = await createTenant(h)
  const otherDep = await other.createDeployment('live')
  const sessionB = await login()
  const sessionC = await login()
  const keep = { key: await newKey(), session: sessionC }
  const byKey = await live(t.asKey)
  const byKeyList = await listStream(h, t.asKey)
  const byLogout = await live({ cookie: t.cookie })
  const byPassword = await live({ cookie: sessionB })
  const kept = [await live(keep.key), await live({ cookie: keep.session })]
  const theirs = await eventStream(h, otherDep, other.asKey)
  await theirs.next()

  const change = () => h.request('POST', '/api/auth/password', { body: { current_password: PASSWORD, new_password: 'a brand new password' }, headers: { cookie: keep.session } })
  const took = await Promise.all([
    endsAfter(byKey, () => h.request('DELETE', `/api/keys/${t.keyId}`, { headers: { cookie: t.cookie } })),
    endsAfter(byKeyList, () => Promise.resolve()),
    endsAfter(byLogout, async () => expect((await h.request('POST', '/api/auth/logout', { headers: { cookie: t.cookie } })).status).toBe(204)),
    endsAfter(byPassword, async () => expect((await change()).status).toBe(204)),
  ])
  for (const ms of took) expect(ms).toBeLessThan(1500)
  // Every one of them was ended by the server (cut off), not by the client going away.
  expect(cutOff).toHaveLength(4)
  expect(h.app.services.bus.listenerCount).toBe(3)

  // The others went through every recheck and still follow their deployments.
  expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: progress(1), headers: { ...keep.key, 'x-agent-id': 'sat-25544' } })).status).toBe(201)
  await report(h, other, otherDep, progress(2))
  for (const s of kept) expect((await s.messages(1)).map(payloadI)).toEqual([1])
  expect((await theirs.messages(1)).map(payloadI)).toEqual([2])
  for (const s of [...kept, theirs]) s.close()
  await until(() => h.app.services.streams.openCount === 0, 1000, 'streams closed')
  expect(h.app.services.bus.listenerCount).toBe(0)
})

test('a credential revoked while its stream is being opened (after the route checked it) still ends the stream', async () => {
  const me = (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id
  const session = await login()
  for (const [headers, revoke] of [
    [t.asKey, () => h.app.services.auth.revokeKey(me, t.keyId, { at: 0, actorId: me, actorEmail: null, address: null })],
    [{ cookie: session }, () => h.request('POST', '/api/auth/logout', { headers: { cookie: session } })],
  ] as const) {
    const getDeployment = h.store.getDeployment
    // The route's own look-up is the last step before the stream attaches: revoke right there.
    h.store.getDeployment = async (...args) => {
      h.store.getDeployment = getDeployment
      await revoke()
      return getDeployment(...args)
    }
    const started = Date.now()
    const s = await eventStream(h, dep, headers)
    // Not even the status: the stream ends at once (a reconnect would be refused 401).
    expect(await s.rest(2000)).toEqual([])
    expect(Date.now() - started).toBeLessThan(1500)
    expect((await h.request('GET', `/api/deployments/${dep}/events/stream`, { headers })).status).toBe(401)
  }
  expect(h.app.services.bus.listenerCount).toBe(0)
})

test('a stream ended for its credential sends nothing more, even what it had taken to send', async () => {
  const s = await live(t.asKey)
  // The client stops reading while a flood comes: the stream holds what it took and what waits.
  for (let b = 0; b < 4; b++) expect((await batch(h, t, dep, Array.from({ length: 400 }, (_, i) => progress(b * 400 + i)))).status).toBe(200)
  await h.request('DELETE', `/api/keys/${t.keyId}`, { headers: { cookie: t.cookie } })
  await until(() => cutOff.length === 1, 2000, 'the stream was ended')
  const after = await s.rest()
  // At most what was already handed to the response before the end: the write it was taking and the one
  // the response had pulled, each of at most CHUNK_MAX characters (src/http/streams.ts); never the rest.
  const frameChars = `id: 1000\ndata: ${after.at(-1)?.data ?? ''}\n\n`.length
  expect(after.length).toBeLessThanOrEqual(2 * Math.ceil(CHUNK_MAX / frameChars) + 2)
  expect(after.length).toBeLessThan(1600 / 2)
  expectArrivals(after, 1, eventsOf(after).length)
})

test('a credential check that fails (the database did not answer) does not keep the other streams from theirs, and is tried again', async () => {
  const sessionA = await login()
  const sessionB = await login()
  const a = await live({ cookie: sessionA })
  const b = await live({ cookie: sessionB })
  const getSession = h.store.getSession
  const idOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1).split('.')[0]
  let failures = 1
  // Stream a's check, which comes first, fails once; then the database answers again.
  h.store.getSession = async (id) => {
    if (id === idOf(sessionA) && failures > 0 && failures--) throw storageBusy()
    return getSession(id)
  }
  // Both sessions end; b's check must not wait for a's to succeed, and a's is tried again.
  expect(await endsAfter(b, () => h.request('POST', '/api/auth/logout', { headers: { cookie: sessionB } }))).toBeLessThan(1500)
  await h.store.deleteSession(idOf(sessionA)!, null)
  expect(await a.rest(4000)).toEqual([])
  expect(failures).toBe(0)
})

test('disabling a user ends the streams of their keys and sessions; another user’s stream goes on (docs/api.md §1 "Disabling a user")', async () => {
  const admin = await createTenant(h, 'admin')
  const other = await createTenant(h)
  const otherDep = await other.createDeployment('live')
  const byKey = await live(t.asKey)
  const byKeyList = await listStream(h, t.asKey)
  const bySession = await live({ cookie: t.cookie })
  const theirs = await eventStream(h, otherDep, other.asKey)
  await theirs.next()
  const me = (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id
  await Promise.all([
    endsAfter(byKey, async () => expect((await h.request('PATCH', `/api/users/${me}`, { body: { disabled: true }, headers: { cookie: admin.cookie } })).status).toBe(200)),
    endsAfter(byKeyList, () => Promise.resolve()),
    endsAfter(bySession, () => Promise.resolve()),
  ])
  expect((await h.request('GET', `/api/deployments/${dep}/events/stream`, { headers: t.asKey })).status).toBe(401)
  await report(h, other, otherDep, progress(3))
  expect((await theirs.messages(1)).map(payloadI)).toEqual([3])
  theirs.close()
})

test('a key revoked by another process (straight in the database) ends its streams too: the recheck reads the key memory’s version fresh', async () => {
  const byKey = await live(t.asKey)
  // A request just before: the auth version was read a moment ago (SQLite keeps such a read 100 ms).
  expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).status).toBe(200)
  const ms = await endsAfter(byKey, async () => {
    await queryDb(h, 'UPDATE api_keys SET revoked_at = 1 WHERE id = ?', [t.keyId])
    // What the recheck asks, at once: not answered from the read of a moment ago.
    expect(await h.app.services.auth.stillValid({ via: 'key', key: t.asKey['x-api-key']! })).toBe(false)
  })
  expect(ms).toBeLessThan(1500)
  expect(cutOff).toHaveLength(1)
})
