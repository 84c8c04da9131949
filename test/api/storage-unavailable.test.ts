// Another process holds the database's write lock past the busy timeout: reports answer 503 and store
// nothing, reads go on, and writing resumes once the lock is released.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { createApp } from '../../src/app'
import { silentLogger } from '../../src/log'
import { createSqliteStore } from '../../src/store/sqlite'
import { createHarness, createTenant, event, send, TEST_PASSWORD_OPTIONS, type Harness } from '../helpers'

let h: Harness
beforeEach(() => {
  h = createHarness()
})
afterEach(() => h.close())

test('a database locked by another process: 503 UNAVAILABLE, reads still served, then recovery', async () => {
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  // A second server view of the same file with a short busy timeout, so the test does not wait 5 s.
  const store = createSqliteStore(h.dbPath, { busyTimeoutMs: 100 })
  const app = createApp({ store, log: silentLogger, password: TEST_PASSWORD_OPTIONS })
  const report = (i: number) => send(app, 'POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: t.asAgent })
  try {
    expect((await report(1)).status).toBe(201)
    const locker = new Database(h.dbPath)
    locker.run('BEGIN IMMEDIATE')
    const locked = await report(2)
    expect(locked.status).toBe(503)
    expect(locked.body).toEqual({ error: 'storage is unavailable (disk full, read-only or locked); retry later', code: 'UNAVAILABLE' })
    const read = await send(app, 'GET', `/api/deployments/${dep}/events`, { headers: t.asKey })
    expect(read.status).toBe(200)
    expect(read.body.total).toBe(1)
    locker.run('ROLLBACK')
    locker.close()
    expect((await report(2)).status).toBe(201)
    expect((await send(app, 'GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.event_count).toBe(2)
  } finally {
    app.services.replay.stop()
    store.close()
  }
})
