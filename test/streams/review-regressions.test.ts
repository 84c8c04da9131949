// Regressions found in review of the streams (docs/streams.md), each once a reproduction of a defect:
// late data after a terminal status, the per-user bound under concurrent opens, and a stream that fails to
// open (storage busy) leaving a listener, a slot or a Bun 500 behind.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { STREAMS_PER_USER_MAX } from '../../src/http/streams'
import { serve } from '../../src/server'
import { createHarness, createTenant, event, storageBusy, type Harness, type Tenant } from '../helpers'
import { eventStream, listStream, progress, report, statusOf } from './kit'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

// a late event published in the same wake-up as the terminal status is written after the status,
// before `end` (docs/streams.md: late data is not sent on that stream).
test('late event after the terminal status in one wake-up', async () => {
  const s = await eventStream(h, dep, t.asKey)
  expect(statusOf(await s.next())).toBe('pending')
  expect((await report(h, t, dep, progress(1, 1))).status).toBe(201)
  expect((await s.next())!.id).toBe('1')
  // within the stream's 20 ms write throttle: two groups, the second one late data
  const a = await report(h, t, dep, event('job.completed', '2026-03-07T12:00:02Z'))
  const b = await report(h, t, dep, progress(2, 3))
  const rest: string[] = []
  for (let m = await s.next(2000); m !== null; m = await s.next(2000)) rest.push(m.event ? `${m.event}` : m.comment ? 'comment' : `id ${m.id}`)
  expect(rest).toEqual(['id 2', 'status', 'end'])
})

test('concurrent opens past the per-user bound', async () => {
  const opens = await Promise.all(Array.from({ length: STREAMS_PER_USER_MAX + 200 }, () => h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/stream`, { headers: t.asKey }))))
  const ok = opens.filter((r) => r.status === 200).length
  await Bun.sleep(200)
  for (const r of opens) r.body?.cancel().catch(() => {})
  expect(h.app.services.streams.openCount).toBeLessThanOrEqual(STREAMS_PER_USER_MAX)
})

// a failure inside attach() (store.authVersion / sessionVersion / stillValid throwing, e.g. SQLITE_BUSY)
// happens before the generator's try/finally, so the stream's bus listener, its per-user count and its place
// in `open` are never released.
for (const which of ['sessionVersion', 'stillValid'] as const)
  test(`a throwing ${which} while a stream attaches leaks its listener and its slot`, async () => {
    const store = h.store as any
    const busy = () => { throw storageBusy() }
    if (which === 'sessionVersion') {
      const real = store.sessionVersion
      store.sessionVersion = async () => { store.sessionVersion = real; busy() }
    } else {
      // stillValid reads the key through the auth service → store
      const real = store.getApiKeyByHash ?? null
      const auth = h.app.services.auth as any
      const realStill = auth.stillValid
      // the streams module captured stillValid at creation: patch the store call it makes instead
      const realAuthVersion = store.authVersion
      // Read on every request, as on PostgreSQL: the count below then finds stillValid's own read.
      store.credentialsSharedWithNodes = true
      let n = 0
      store.authVersion = async () => { if (++n === 3) busy(); return realAuthVersion.call(store) }
      void real; void realStill
    }
    const before = h.app.services.bus.listenerCount
    let s: Awaited<ReturnType<typeof eventStream>> | null = null
    try {
      s = await eventStream(h, dep, t.asKey)
      await s.next(1000).catch(() => null)
    } catch {}
    await Bun.sleep(50)
    expect(h.app.services.bus.listenerCount - before).toBe(0)
    expect(h.app.services.streams.openCount).toBe(0)
  })

// each stream whose attach() meets a transient storage error keeps its slot forever: after
// STREAMS_PER_USER_MAX of them the user can never open a stream again (429), and each keeps a bus listener.
test('transient SQLITE_BUSY in the credential check at attach: slots and listeners leak, then 429 forever', async () => {
  const store = h.store as any
  const real = store.authVersion.bind(store)
  let failing = true
  let armed = false
  const bus = h.app.services.bus as any
  const subscribe = bus.subscribeDeployment
  // attach() subscribes, then (synchronously) reads the versions or checks the credential: the next
  // authVersion call is attach's own.
  bus.subscribeDeployment = (...args: unknown[]) => ((armed = failing), subscribe(...args))
  store.authVersion = async () => {
    if (armed) {
      armed = false
      throw storageBusy()
    }
    return real()
  }
  for (let i = 0; i < STREAMS_PER_USER_MAX; i++) {
    const r = await h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/stream`, { headers: t.asKey }))
    // Refused as the storage is busy, as a JSON answer; nothing kept.
    expect(r.status).toBe(503)
    const reader = r.body!.getReader()
    await Promise.race([reader.read().catch(() => null), Bun.sleep(20)])
    reader.cancel().catch(() => {})
  }
  failing = false
  await Bun.sleep(100)
  expect(h.app.services.bus.listenerCount).toBe(0)
  const after = await h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/stream`, { headers: t.asKey }))
  expect(after.status).toBe(200)
})

// Regression (found in review): a storage error while a stream opens is a JSON 503 over a socket, not Bun's
// own text/plain 500.
test('over a socket: a stream that meets SQLITE_BUSY while it opens answers a JSON 503', async () => {
  const server = serve(h.app, { hostname: '127.0.0.1', port: 0 })
  const store = h.store as any
  const real = store.sessionVersion.bind(store)
  store.sessionVersion = async () => { store.sessionVersion = real; throw storageBusy() }
  try {
    const r = await fetch(`http://127.0.0.1:${server.port}/api/deployments/${dep}/events/stream`, { headers: t.asKey })
    expect(r.status).toBe(503)
    expect(await r.json()).toEqual({ error: expect.any(String), code: 'UNAVAILABLE' })
  } finally {
    server.stop(true)
  }
})
