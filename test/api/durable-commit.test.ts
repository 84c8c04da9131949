// Event commits are flushed to disk off the event loop (src/store/sqlite/durable.ts): a report is answered
// only after an fdatasync of the WAL file that started after its commit.
import { afterEach, expect, test } from 'bun:test'
import { fstatSync, statSync } from 'node:fs'
import { fdatasyncFile } from '../../src/store/sqlite/durable'
import { createHarness, createTenant, event, type Harness } from '../helpers'

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

test('a report is answered only once the WAL flush after its commit is done; the event is readable before', async () => {
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

test('commits made while a flush runs wait for the next flush, which they share', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const report = (i: number) => h!.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i } }), headers: t.asAgent })
  const answered: number[] = []
  const first = report(0).then((r) => (answered.push(0), r))
  await tick()
  expect(flushes.waiting).toHaveLength(1)
  // Group commit holds the next group until the first is answered; these wait in line meanwhile.
  const later = Array.from({ length: 10 }, (_, i) => report(i + 1).then((r) => (answered.push(i + 1), r)))
  await tick()
  flushes.waiting[0]!.release()
  expect((await first).status).toBe(201)
  await tick()
  // The ten committed together, after the first flush ended, and wait for a flush of their own.
  expect(flushes.waiting).toHaveLength(2)
  expect(answered).toEqual([0])
  flushes.waiting[1]!.release()
  expect((await Promise.all(later)).map((r) => r.status)).toEqual(Array(10).fill(201))
  expect(flushes.waiting).toHaveLength(2)
})

test('a failed flush answers 503, stores nothing twice, and the retry is recognised once the disk works', async () => {
  const flushes = heldFlushes()
  h = createHarness({ store: { syncFile: flushes.syncFile } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  const body = event('job.accepted')
  const reply = h.request('POST', `/api/deployments/${dep}/events`, { body, headers: t.asAgent })
  await tick()
  flushes.waiting[0]!.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
  const failed = await reply
  expect(failed.status).toBe(503)
  expect(failed.body).toMatchObject({ code: 'UNAVAILABLE', error: expect.stringContaining('EIO') })
  const retry = h.request('POST', `/api/deployments/${dep}/events`, { body, headers: t.asAgent })
  await tick()
  flushes.waiting[1]!.release()
  expect((await retry).status).toBe(200)
  expect((await h.request('GET', `/api/deployments/${dep}/events`, { headers: t.asKey })).body.total).toBe(1)
})

test('with --durability normal nothing is flushed; other writes never wait for this flush (they commit under FULL)', async () => {
  let flushed = 0
  const counting = (fd: number) => (flushed++, fdatasyncFile(fd))
  h = createHarness({ store: { durability: 'normal', syncFile: counting } })
  const t = await createTenant(h)
  const dep = await t.createDeployment('live')
  expect((await h.request('POST', `/api/deployments/${dep}/events`, { body: event('job.accepted'), headers: t.asAgent })).status).toBe(201)
  expect(flushed).toBe(0)
  h.close()
  h = createHarness({ store: { syncFile: counting } })
  const u = await createTenant(h)
  await u.createDeployment('live')
  expect(flushed).toBe(0)
  expect((await h.request('GET', '/api/deployments', { headers: u.asKey })).status).toBe(200)
})
