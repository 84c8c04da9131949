// A big batch's large payloads are written ahead of its transaction, a chunk at a time (docs/limits.md):
// they read back exactly, a retry leaves no copy behind, and nothing staged outlives a refusal or a restart.
//
// SQLite-only (every test): payload staging is SQLite's way of writing large batches (event_payloads rows
// written ahead of the transaction, read back from the file); PostgreSQL stages nothing.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { parseEventInput } from '../../src/domain/event'
import { createHarness, createTenant, event, onPostgres, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
})
afterEach(() => h.close())

/** 100 events with distinct 24 KB payloads (12 000 UTF-16 units each): past the staging threshold. */
const bigBatch = (tag: string) => ({
  events: Array.from({ length: 100 }, (_, i) => event('step.progress', `2026-03-07T12:00:${String(i % 60).padStart(2, '0')}Z`, { payload: { i, tag, blob: `${i}-${'é'.repeat(12_000)}` } })),
})
function count(sql: string): number {
  const db = new Database(h.dbPath, { readonly: true })
  try {
    return (db.query(sql).values()[0]![0] as number) ?? 0
  } finally {
    db.close()
  }
}
const staged = () => count('SELECT count(*) FROM event_payloads WHERE seq < 0')
const postBatch = (dep: string, body: unknown) => h.request('POST', `/api/deployments/${dep}/events/batch`, { body, headers: t.asAgent })

test.skipIf(onPostgres)('a 2.4 MB batch is stored through staged payloads that read back exactly; its retry stores nothing more', async () => {
  const dep = await t.createDeployment('live')
  const body = bigBatch('a')
  const first = await postBatch(dep, body)
  expect(first.body).toMatchObject({ created: 100, duplicates: 0 })
  expect(staged()).toBe(100)
  expect(count('SELECT count(*) FROM events WHERE payload_ref IS NOT NULL')).toBe(100)
  const listed = await h.request('GET', `/api/deployments/${dep}/events?limit=500`, { headers: t.asKey })
  const byI = new Map<number, unknown>(listed.body.events.map((e: { payload: { i: number } }) => [e.payload.i, e.payload]))
  for (const sent of body.events) expect(byI.get((sent.payload as { i: number }).i)).toEqual(sent.payload)
  const again = await postBatch(dep, body)
  expect(again.body).toMatchObject({ created: 0, duplicates: 100 })
  expect(again.body.results.map((r: { id: string }) => r.id)).toEqual(first.body.results.map((r: { id: string }) => r.id))
  expect(staged()).toBe(100)
  // A retry inside one batch: the second copy's staged payload is given back too.
  const inner = bigBatch('b')
  inner.events.push(...bigBatch('b').events.slice(0, 10))
  expect((await postBatch(dep, inner)).body).toMatchObject({ created: 100, duplicates: 10 })
  expect(staged()).toBe(200)
})

test.skipIf(onPostgres)('a batch refused by its deployment writes nothing ahead', async () => {
  const dep = await t.createDeployment('live')
  await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })
  const other = await createTenant(h)
  const theirs = await other.createDeployment('live')
  expect((await postBatch(theirs, bigBatch('x'))).status).toBe(404)
  const simulated = await t.createDeployment('simulated')
  expect((await postBatch(simulated, bigBatch('x'))).status).toBe(409)
  expect(staged()).toBe(0)
})

test.skipIf(onPostgres)('payloads staged for an input that never committed are gone after a restart; stored ones stay', async () => {
  const dep = await t.createDeployment('live')
  await postBatch(dep, bigBatch('kept'))
  const orphans = await h.store.stagePayloads(bigBatch('lost').events.map((e) => parseEventInput(e)))
  expect(orphans.every((ref) => ref !== null && ref < 0)).toBe(true)
  expect(staged()).toBe(200)
  h.restart()
  expect(staged()).toBe(100)
  expect((await h.request('GET', `/api/deployments/${dep}/events?limit=1`, { headers: t.asKey })).body.events[0].payload.tag).toBe('kept')
})

test.skipIf(onPostgres)('dropStagedPayloads leaves a payload that a stored event refers to', async () => {
  const dep = await t.createDeployment('live')
  const events = bigBatch('x').events.map((e) => parseEventInput(e))
  const refs = await h.store.stagePayloads(events)
  const user = await h.store.getUserByEmail(t.email)
  await h.app.services.reports.submit({ userId: user!.id, deploymentId: dep, reporter: { kind: 'agent', agentId: 'sat-25544' }, events: events.map((event, i) => ({ event, key: null, staged: refs[i] })), now: 1 })
  await h.store.dropStagedPayloads(refs)
  expect(staged()).toBe(100)
  expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(100)
})

test.skipIf(onPostgres)('deleting a deployment deletes its staged payloads with its events', async () => {
  const dep = await t.createDeployment('live')
  await postBatch(dep, bigBatch('x'))
  const db = new Database(h.dbPath)
  db.run('DELETE FROM deployments WHERE id = ?', [dep])
  db.close()
  expect(staged()).toBe(0)
  expect(count('SELECT count(*) FROM events')).toBe(0)
})
