// Regression (found in review): each stream whose attach() meets a transient storage error keeps its slot forever: after
// STREAMS_PER_USER_MAX of them the user can never open a stream again (429), and each keeps a bus listener.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { STREAMS_PER_USER_MAX } from '../../src/http/streams'
import { createHarness, createTenant, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

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
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
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
