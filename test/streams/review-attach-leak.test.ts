// Regression (found in review): a failure inside attach() (store.authVersion / sessionVersion / stillValid throwing, e.g. SQLITE_BUSY)
// happens before the generator's try/finally, so the stream's bus listener, its per-user count and its place
// in `open` are never released.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, type Harness, type Tenant } from '../helpers'
import { eventStream, listStream } from '../streams/kit'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

for (const which of ['sessionVersion', 'stillValid'] as const)
  test(`a throwing ${which} while a stream attaches leaks its listener and its slot`, async () => {
    const store = h.store as any
    const busy = () => { throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }) }
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
