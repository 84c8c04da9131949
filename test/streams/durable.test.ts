// Streams send only what is durable (docs/api.md §3.3): while an event group's flush is held, neither its events
// nor the status they caused reach a stream, open or opening; after the flush they do; and if the flush
// fails they never do.
//
// SQLite-only (every test): it holds and fails SQLite's WAL flush (the syncFile hook) to see what streams
// send meanwhile; PostgreSQL has no flush after its commit to hold.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { fdatasyncFile } from '../../src/store/sqlite/durable'
import { createHarness, createTenant, event, onPostgres, type Harness, type Tenant } from '../helpers'
import { eventStream, eventsOf, expectArrivals, listStream, progress, report, statusOf, type Stream } from './kit'

let h: Harness
let t: Tenant
let dep: string
/** While `holding`, flushes wait for the test to release them; otherwise they flush at once. */
const flushes = {
  holding: false,
  waiting: [] as Array<(error?: Error) => void>,
  syncFile(fd: number) {
    if (!flushes.holding) return fdatasyncFile(fd)
    return new Promise<void>((resolve, reject) => flushes.waiting.push((error) => (error ? reject(error) : resolve())))
  },
  release(error?: Error) {
    flushes.holding = false
    for (const release of flushes.waiting.splice(0)) release(error)
  },
}
beforeEach(async () => {
  flushes.holding = false
  h = createHarness({ store: { syncFile: (fd) => flushes.syncFile(fd), onFlushFailure: () => {} } })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

const tick = () => Bun.sleep(30)
const EIO = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })

/** A report whose group commits now and whose flush is held: committed, readable, not durable. */
async function heldReport(body: unknown) {
  flushes.holding = true
  const reply = report(h, t, dep, body)
  await tick()
  expect(flushes.waiting.length).toBeGreaterThan(0)
  // Committed: the list already shows it (the streams must not).
  expect((await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body.status).toBe('running')
  return { reply }
}

/** Streams open before the held report: the event stream read up to its status, the list streams to their keep-alive. */
async function openStreams() {
  const events = await eventStream(h, dep, t.asKey)
  expect(statusOf(await events.next())).toBe('pending')
  const list = await listStream(h, t.asKey)
  expect((await list.next())!.comment).toBe('keep-alive')
  return { events, list }
}

test.skipIf(onPostgres)('while a group’s flush is held its events and status reach no stream, open or opening; after it they do, in order', async () => {
  const { events, list } = await openStreams()
  const { reply } = await heldReport(event('job.accepted'))
  // Opening meanwhile: the event stream's response waits for the flush (its first frame is the status).
  let opened: Stream | null = null
  const opening = eventStream(h, dep, t.asKey).then((s) => (opened = s))
  const resumedList = await listStream(h, t.asKey, '?after=0')
  await tick()
  expect(opened).toBeNull()
  for (const s of [events, list, resumedList]) expect(await s.within(150)).toBe('quiet')

  flushes.release()
  expect((await reply).status).toBe(201)
  const live = await events.messages(2)
  expectArrivals(live, 1, 1)
  expect(statusOf(live[1])).toBe('running')
  const late = await opening
  expect(statusOf(await late.next())).toBe('running')
  expectArrivals(await late.messages(1), 1, 1)
  for (const s of [list, resumedList]) expect(JSON.parse((await s.messages(1))[0]!.data!)).toMatchObject({ id: dep, status: 'running', event_count: 1 })
  for (const s of [events, list, resumedList, late]) s.close()
})

test.skipIf(onPostgres)('a cancel decided while the flush of earlier events is held comes after those events', async () => {
  await report(h, t, dep, event('job.accepted'))
  const s = await eventStream(h, dep, t.asKey)
  await s.messages(2)
  flushes.holding = true
  const replies = [report(h, t, dep, progress(1)), report(h, t, dep, progress(2))]
  await tick()
  const cancel = h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })
  await tick()
  expect(await s.within(100)).toBe('quiet')
  flushes.release()
  expect((await cancel).status).toBe(200)
  for (const r of replies) expect((await r).status).toBe(201)
  const rest = await s.rest()
  expect(rest.map((m) => m.event ?? m.id)).toEqual(['2', '3', 'status', 'end'])
  expect(statusOf(rest[2])).toBe('cancelled')
})

test.skipIf(onPostgres)('if the flush fails, the group’s events and status are never sent, to open streams or to streams opened after', async () => {
  const { events, list } = await openStreams()
  const { reply } = await heldReport(event('job.accepted'))
  const opening = eventStream(h, dep, t.asKey)
  flushes.release(EIO())
  expect((await reply).status).toBe(503)
  // Opened while it was held, and after it failed: nothing of it (at most an empty stream that ends).
  const streams = [await opening, await eventStream(h, dep, t.asKey), await listStream(h, t.asKey, '?after=0'), await listStream(h, t.asKey)]
  const sent = await Promise.all(
    [events, list, ...streams].map(async (s) => {
      const got = []
      for (let m = await s.within(200); m !== 'quiet' && m !== null; m = await s.within(200)) got.push(m)
      return got
    }),
  )
  for (const got of sent) {
    expect(eventsOf(got).filter((m) => m.data?.includes('job.accepted'))).toEqual([])
    expect(got.filter((m) => statusOf(m) === 'running' || m.data?.includes('"running"'))).toEqual([])
  }
  for (const s of [events, list, ...streams]) s.close()
})

test.skipIf(onPostgres)('a client that goes away while its stream waits for a flush leaves nothing behind', async () => {
  const { reply } = await heldReport(event('job.accepted'))
  const controllers = [new AbortController(), new AbortController()]
  const responses = [
    h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/stream`, { headers: t.asKey, signal: controllers[0]!.signal })),
    h.app.handle(new Request('http://localhost/api/deployments/stream?after=0', { headers: t.asKey, signal: controllers[1]!.signal })),
  ]
  await tick()
  expect(h.app.services.streams.openCount).toBe(2)
  for (const c of controllers) c.abort()
  expect(h.app.services.bus.listenerCount).toBe(0)
  expect(h.app.services.streams.openCount).toBe(0)
  flushes.release()
  expect((await reply).status).toBe(201)
  // Whatever the responses are now, nothing of the deployment's news was written to them.
  for (const response of await Promise.all(responses)) {
    const text = await Promise.race([response.text().catch(() => ''), Bun.sleep(200).then(() => '')])
    expect(text).not.toContain('running')
  }
  expect(h.app.services.bus.listenerCount).toBe(0)
})
