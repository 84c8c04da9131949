// POST /api/admin/backup in process (the real-process test is test/server/backup.test.ts): a sound SQLite
// file with its schema version, one at a time, nothing left beside the database. The snapshot is SQLite's
// (a copy of its file): on PostgreSQL the route is refused, pg_dump is the backup (docs/postgres.md).
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SCHEMA_VERSION } from '../../src/store/sqlite/backup'
import { createHarness, createTenant, event, onPostgres, type Harness, type Tenant } from '../helpers'

let h: Harness
let admin: Tenant
beforeEach(async () => {
  h = createHarness()
  admin = await createTenant(h, 'admin')
})
afterEach(() => h.close())

const backup = () => h.app.handle(new Request('http://localhost/api/admin/backup', { method: 'POST', headers: { cookie: admin.cookie } }))

// SQLite-only: it opens the snapshot as a SQLite file and looks beside the database file for leftovers.
test.skipIf(onPostgres)('the snapshot is a Ground Console database with what was stored, and its schema version', async () => {
  const dep = await admin.createDeployment('live')
  await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: admin.asAgent })
  const reply = await backup()
  expect(reply.status).toBe(200)
  expect(reply.headers.get('x-schema-version')).toBe(String(SCHEMA_VERSION))
  const file = join(dirname(h.dbPath), 'copy.db')
  writeFileSync(file, new Uint8Array(await reply.arrayBuffer()))
  const db = new Database(file, { readonly: true })
  expect(db.query('SELECT count(*) AS n FROM events').get()).toEqual({ n: 1 })
  expect(db.query('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: SCHEMA_VERSION })
  db.close()
  // The snapshot was unlinked as soon as it was opened.
  expect(readdirSync(dirname(h.dbPath)).filter((name) => name.includes('.snapshot-'))).toEqual([])
})

// SQLite-only: one snapshot of the file at a time (PostgreSQL takes none).
test.skipIf(onPostgres)('one at a time: a second request while one is made is 409', async () => {
  const [a, b] = await Promise.all([backup(), backup()])
  expect([a.status, b.status].sort()).toEqual([200, 409])
  const refused = a.status === 409 ? a : b
  expect(await refused.json()).toEqual({ error: expect.stringContaining('already'), code: 'CONFLICT' })
  await (a.status === 200 ? a : b).arrayBuffer()
  expect((await backup()).status).toBe(200)
})

test('an operator is refused with a message about admins', async () => {
  const op = await createTenant(h)
  const reply = await h.request('POST', '/api/admin/backup', { headers: { cookie: op.cookie } })
  expect(reply.status).toBe(403)
  expect(reply.body).toEqual({ error: 'only an admin may do this', code: 'FORBIDDEN' })
})

test.skipIf(!onPostgres)('on PostgreSQL the backup is refused with 409, pointing at pg_dump', async () => {
  const reply = await backup()
  expect(reply.status).toBe(409)
  expect(await reply.json()).toEqual({ error: expect.stringContaining('pg_dump'), code: 'CONFLICT' })
})
