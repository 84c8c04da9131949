import { afterEach, beforeEach, expect, test } from 'bun:test'
import { serve } from '../../src/server'
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

// Regression (found in review): a storage error while a stream opens is a JSON 503 over a socket, not Bun's
// own text/plain 500.
test('over a socket: a stream that meets SQLITE_BUSY while it opens answers a JSON 503', async () => {
  const server = serve(h.app, { hostname: '127.0.0.1', port: 0 })
  const store = h.store as any
  const real = store.sessionVersion.bind(store)
  store.sessionVersion = async () => { store.sessionVersion = real; throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }) }
  try {
    const r = await fetch(`http://127.0.0.1:${server.port}/api/deployments/${dep}/events/stream`, { headers: t.asKey })
    expect(r.status).toBe(503)
    expect(await r.json()).toEqual({ error: expect.any(String), code: 'UNAVAILABLE' })
  } finally {
    server.stop(true)
  }
})
