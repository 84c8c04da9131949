// Event commits are flushed to disk off the event loop (src/store/sqlite/durable.ts): a report is answered
// only after an fdatasync of the WAL file that started after its commit.
//
// SQLite-only (every test): the WAL flush that follows a commit (durable.commitThenFlush and its fsync
// hook, --durability, the WAL beside a symlinked file); PostgreSQL's commit is durable when it returns
// (synchronous_commit on) and has no flush to hold or fail.
import { afterEach, expect, test } from 'bun:test'
import { fstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseEventInput } from '../../src/domain/event'
import { createSqliteStore } from '../../src/store/sqlite'
import { fdatasyncFile } from '../../src/store/sqlite/durable'
import { createHarness, createTenant, event, tempDir, onPostgres, type Harness, reportsOf } from '../helpers'

let h: Harness | undefined
afterEach(() => h?.close())

/** A flush the test releases by hand, recording which file each one was for. */
function heldFlushes() {
  const waiting: Array<{ fd: number; release(error?: Error): void }> = []
  const syncFile = (fd: number) =>
    new Promise<void>((resolve, reject) => waiting.push({ fd, release: (error) => (error ? reject(error) : resolve()) }))
  return { waiting, syncFile }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

test.skipIf(onPostgres)('a report is answered only once the WAL flush after its commit is done; the event is readable before', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  let answered = false
  const reply = h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent }).then((r) => {
    answered = true
    return r
  })
  await tick()
  expect(flushes.waiting).toHaveLength(1)
  expect(answered).toBe(false)
  // The flush is of the WAL file itself.
  expect(fstatSync(flushes.waiting[0]!.fd).ino).toBe(statSync(`${h.dbPath}-wal`).ino)
  // Committed (other readers see it) but not yet acknowledged.
  expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(1)
  flushes.waiting[0]!.release()
  expect((await reply).status).toBe(201)
})

test.skipIf(onPostgres)('commits made while a flush runs wait for the next flush, which they share', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const report = (i: number) => h!.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: t.asAgent })
  const answered: number[] = []
  const first = report(0).then((r) => (answered.push(0), r))
  await tick()
  expect(flushes.waiting).toHaveLength(1)
  // These commit while the first group's flush is held (group commit does not wait for it) ...
  const later = Array.from({ length: 10 }, (_, i) => report(i + 1).then((r) => (answered.push(i + 1), r)))
  await tick()
  flushes.waiting[0]!.release()
  expect((await first).status).toBe(201)
  await tick()
  // ... and none is answered by it: the ten wait for the next flush, which starts after it and they share.
  expect(flushes.waiting).toHaveLength(2)
  expect(answered).toEqual([0])
  flushes.waiting[1]!.release()
  expect((await Promise.all(later)).map((r) => r.status)).toEqual(Array(10).fill(201))
  expect(flushes.waiting).toHaveLength(2)
})

test.skipIf(onPostgres)('a failed flush answers 503 and stops all commits (the failure is reported once); after a restart, the retry is recognised', async () => {
  const flushes = heldFlushes()
  const failures: unknown[] = []
  h = createHarness({ store: { syncFile: flushes.syncFile, onFlushFailure: (error) => failures.push(error) } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const body = event('job.accepted')
  const reply = h.request('POST', `/api/deployments/${dep}/events`, { body, headers: t.asAgent })
  await tick()
  flushes.waiting[0]!.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
  const failed = await reply
  expect(failed.status).toBe(503)
  expect(failed.body).toMatchObject({ code: 'UNAVAILABLE', error: expect.stringContaining('EIO') })
  expect(failures).toHaveLength(1)
  // Once the kernel has reported a failed write-back, no later flush can be trusted: nothing more is stored.
  const later = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress'), headers: t.asAgent })
  expect(later.status).toBe(503)
  expect(flushes.waiting).toHaveLength(1)
  expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(1)
  // Restarted on the same file, the server recognises the retry of what it could not acknowledge.
  h.restart({})
  expect((await h.request('POST', `/api/deployments/${dep}/events`, { body, headers: t.asAgent })).status).toBe(200)
})

test.skipIf(onPostgres)('a cancel decided on a status not yet flushed is answered only after the flush', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const completed = h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.completed'), headers: t.asAgent })
  await tick()
  let answered = false
  const cancel = h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey }).then((r) => ((answered = true), r))
  await tick()
  expect(answered).toBe(false)
  flushes.waiting[0]!.release()
  expect((await completed).status).toBe(201)
  expect((await cancel).status).toBe(409)
})

test.skipIf(onPostgres)('with --durability normal nothing is flushed; other writes never wait for this flush (they commit under FULL)', async () => {
  let flushed = 0
  const counting = (fd: number) => (flushed++, fdatasyncFile(fd))
  h = createHarness({ store: { durability: 'normal', syncFile: counting } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent })).status).toBe(201)
  expect(flushed).toBe(0)
  await h.close()
  h = createHarness({ store: { syncFile: counting } })
  const u = await createTenant(h)
  await u.createDeployment('live')
  expect(flushed).toBe(0)
  expect((await h.request('GET', '/api/deployments', { headers: u.asKey })).status).toBe(200)
})

test.skipIf(onPostgres)('a database reached through a symbolic link is flushed where SQLite keeps its WAL, beside the real file', async () => {
  const dir = tempDir()
  try {
    mkdirSync(join(dir.path, 'real'))
    mkdirSync(join(dir.path, 'links'))
    const store0 = createSqliteStore(join(dir.path, 'real/gc.db'))
    store0.close()
    symlinkSync(join(dir.path, 'real/gc.db'), join(dir.path, 'links/gc.db'))
    // A stale file where a naive path would look: flushing it would acknowledge nothing.
    writeFileSync(join(dir.path, 'links/gc.db-wal'), 'stale')
    const flushed: number[] = []
    const store = createSqliteStore(join(dir.path, 'links/gc.db'), { syncFile: (fd) => (flushed.push(fstatSync(fd).ino), fdatasyncFile(fd)) })
    // No deployment: the group is refused (404), but it still commits and flushes.
    await reportsOf(store).storeGroup([{ userId: 'u', deploymentId: 'd', reporter: { kind: 'replay' }, events: [{ event: parseEventInput({ type: 'a.b', timestamp: '2026-03-07T12:00:00Z' }), key: null }], now: 1 }])
    expect(flushed).toEqual([statSync(join(dir.path, 'real/gc.db-wal')).ino])
    store.close()
  } finally {
    dir.remove()
  }
})

test.skipIf(onPostgres)('when the flush fails, the reports it covered get 503 while a report refused in the same group keeps its 409', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const sim = await t.createDeployment('simulated')
  await tick()
  for (const f of flushes.waiting.splice(0)) f.release() // the simulated deployment's replay
  const replies = Promise.all([
    h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress'), headers: t.asAgent }),
    h.request('POST', `/api/deployments/${sim}/events`, { body: event('step.progress'), headers: t.asAgent }),
  ])
  await tick()
  for (const f of flushes.waiting.splice(0)) f.release(Object.assign(new Error('EIO'), { code: 'EIO' }))
  expect((await replies).map((r) => r.status)).toEqual([503, 409])
})

test.skipIf(onPostgres)('a replay whose flush fails keeps trying rather than stopping, and completes after a restart, every plan event once', async () => {
  let failures = 1
  h = createHarness({ store: { syncFile: (fd) => (failures-- > 0 ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : fdatasyncFile(fd)) } })
  const t = await createTenant(h)
  const id = await t.createDeployment('simulated', { speed_multiplier: 1000 })
  await Bun.sleep(300)
  // The one flush failed; the commits after it were refused before any flush; the replay is still there.
  expect(failures).toBe(0)
  expect(h.app.services.replay.activeCount).toBe(1)
  h.restart({})
  await h.app.services.replay.resume()
  const deadline = Date.now() + 10_000
  let d = (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body
  while ((d.status !== 'completed' || h.app.services.replay.activeCount > 0) && Date.now() < deadline) {
    await Bun.sleep(50)
    d = (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body
  }
  expect(d.status).toBe('completed')
  const events = (await h.request('GET', `/api/deployments/${id}/events`, { headers: t.asKey })).body
  expect(events.events.map((e: { event_type: string }) => e.event_type)).toEqual(['job.accepted', 'step.started', 'job.completed'])
})

test.skipIf(onPostgres)('a commit made while a flush that fails is running is not acknowledged, even if a later flush would succeed', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile, onFlushFailure: () => {} } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  // A replay tick stores its group directly (reports.storeGroup); its commit starts the first flush.
  const first = h.app.services.reports.storeGroup([
    { userId: (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id, deploymentId: dep, reporter: { kind: 'agent', agentId: 'sat-25544' }, events: [{ event: parseEventInput(event('step.progress', undefined, { payload: { a: 1 } })), key: null }], now: 1 },
  ])
  await tick()
  // This report commits while that flush runs, and waits for the next one.
  const second = h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { b: 1 } }), headers: t.asAgent })
  await tick()
  flushes.waiting[0]!.release(Object.assign(new Error('EIO'), { code: 'EIO' }))
  expect((await first)[0]!.ok).toBe(false)
  expect((await second).status).toBe(503)
  expect(flushes.waiting).toHaveLength(1)
})

test.skipIf(onPostgres)('after a failed flush, a poll and a cancel refuse with 503 and change nothing', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile, onFlushFailure: () => {} } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const waiting = await t.createDeployment('live')
  const report = h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent })
  await tick()
  flushes.waiting[0]!.release(Object.assign(new Error('EIO'), { code: 'EIO' }))
  expect((await report).status).toBe(503)
  expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(503)
  expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })).status).toBe(503)
  expect((await h.request('GET', `/api/deployments/${waiting}`, { headers: t.asKey })).body).toMatchObject({ status: 'pending', agent_id: null })
  expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.status).not.toBe('cancelled')
})

test.skipIf(onPostgres)('telemetry is answered only after its flush; presence (polls, last_seen_at) never waits for one', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  // Polls from 20 agents touch 20 agent rows, none waits for a flush.
  for (let i = 0; i < 20; i++) expect((await h.request('GET', '/api/agent/workloads', { headers: { ...t.asKey, 'x-agent-id': `sat-${i}` } })).status).toBe(204)
  expect(flushes.waiting).toHaveLength(0)
  let answered = false
  const reply = h.request('POST', '/api/agent/telemetry', { body: { status: 'idle' }, headers: t.asAgent }).then((r) => ((answered = true), r))
  await tick()
  expect(flushes.waiting).toHaveLength(1)
  expect(answered).toBe(false)
  flushes.waiting[0]!.release()
  expect((await reply).status).toBe(200)
})
