// Another process holds the database's write lock past the busy timeout: reports answer 503 and store
// nothing, reads go on, and writing resumes once the lock is released.
//
// SQLite-only (every test): SQLite's write lock, taken by another process on the same file (BEGIN
// IMMEDIATE, a writer in a second process) and the busy timeout; PostgreSQL has row locks and no file lock.
// PostgreSQL's outages (503) are the store's isUnavailable, tested in test/http/storage-errors.test.ts.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { createApp } from '../../src/app'
import { silentLogger } from '../../src/log'
import { createSqliteStore } from '../../src/store/sqlite'
import { parseEventInput } from '../../src/domain/event'
import { createHarness, createTenant, event, send, TEST_PASSWORD_OPTIONS, onPostgres, type Harness } from '../helpers'

let h: Harness
beforeEach(() => {
  h = createHarness()
})
afterEach(() => h.close())

test.skipIf(onPostgres)('a database locked by another process: 503 UNAVAILABLE, reads still served, then recovery', async () => {
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

test.skipIf(onPostgres)('another process writing all the while: every report still lands (transactions take the write lock first)', async () => {
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const setup = new Database(h.dbPath)
  setup.run('CREATE TABLE scratch (n INTEGER)')
  setup.close()
  // A real second process, committing small writes back to back for a while.
  const writer = Bun.spawn(
    [
      process.execPath,
      '-e',
      `const { Database } = require('bun:sqlite'); const db = new Database(${JSON.stringify(h.dbPath)});
       db.run('PRAGMA busy_timeout = 5000'); db.run('INSERT INTO scratch VALUES (0)'); const end = Date.now() + 3000; let n = 0;
       while (Date.now() < end) db.run('INSERT INTO scratch VALUES (?)', [++n]); console.log(n)`,
    ],
    { stdout: 'pipe' },
  )
  // Wait until it is writing.
  const probe = new Database(h.dbPath)
  const rows = () => (probe.query('SELECT count(*) AS n FROM scratch').get() as { n: number }).n
  while (rows() === 0) await Bun.sleep(5)
  probe.close()
  // One report after another straight into the store: each its own transaction, racing the commits
  // of the other process. A transaction that read before taking the write lock would fail some of them.
  const user = (await h.store.getUserByEmail(t.email))!
  const failures: string[] = []
  let stored = 0
  for (const end = Date.now() + 1000; Date.now() < end; stored++) {
    const e = parseEventInput(event('step.progress', undefined, { payload: { stored } }))
    try {
      const [outcome] = await h.app.services.reports.storeGroup([
        { userId: user.id, deploymentId: dep, reporter: { kind: 'agent', agentId: 'sat-25544' }, events: [{ event: e, key: null }], now: 1 },
      ])
      if (!outcome!.ok) throw outcome!.error
    } catch (error) {
      failures.push(String((error as { code?: string }).code))
      stored--
    }
  }
  const writes = Number(await new Response(writer.stdout).text())
  expect(writes).toBeGreaterThan(100)
  expect(failures).toEqual([])
  expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.event_count).toBe(stored)
})
