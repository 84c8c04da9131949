// Many clients of one deployment's stream (docs/api.md §3.3): one publish reaches them all, each gets every
// event once and in order, and a client that stops reading is cut off without holding up the others or
// ingestion, and resumes from the database.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { STREAM_QUEUE_MAX } from '../../src/http/streams'
import { createHarness, createTenant, event, fixedClock, type Harness, type Reply, type Tenant } from '../helpers'
import { batch, eventStream, eventsOf, expectArrivals, expectListItems, progress, report, statusOf, until, type Stream } from './kit'

let h: Harness
let t: Tenant
let cutOff: Request[]
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
  // In process there is no socket; this records which requests the server cut off.
  cutOff = []
  h.app.controlSocketsWith({ keepOpen() {}, cutOff: (request) => cutOff.push(request) })
})
afterEach(() => h.close())

const answeredAll = (replies: Reply[]) => expect(replies.filter((r) => r.status !== 200 && r.status !== 201).map((r) => r.text)).toEqual([])

test('500 subscribers of one deployment each get every event once and in order while reports arrive; one bus listener per open stream, none after', async () => {
  const dep = await t.createDeployment('live')
  const { bus, streams } = h.app.services
  const replies: Promise<Reply>[] = []
  let n = 0
  const opened: Promise<Stream>[] = []
  for (let k = 0; k < 500; k++) {
    opened.push(eventStream(h, dep, k % 2 ? t.asKey : { cookie: t.cookie }))
    if (k % 50 === 0) replies.push(report(h, t, dep, progress(n++)), batch(h, t, dep, Array.from({ length: 10 }, () => progress(n++, 1))))
  }
  const subscribers = await Promise.all(opened)
  expect(bus.listenerCount).toBe(500)
  expect(streams.openCount).toBe(500)
  const reading = subscribers.map((s) => s.rest(10_000))
  for (let k = 0; k < 20; k++) replies.push(report(h, t, dep, progress(n++, 2)))
  replies.push(batch(h, t, dep, Array.from({ length: 50 }, () => progress(n++, 3))))
  answeredAll(await Promise.all(replies))
  await report(h, t, dep, event('job.completed', '2026-03-07T12:10:00Z'))
  const all = await Promise.all(reading)
  for (const got of all) {
    expect(statusOf(got[0])).toBe('pending')
    expectArrivals(got, 1, n + 1)
    expect(got.slice(-2).map((m) => m.event)).toEqual(['status', 'end'])
  }
  await expectListItems(h, t, dep, all[0]!)
  expect(bus.listenerCount).toBe(0)
  expect(streams.openCount).toBe(0)
  expect(cutOff).toEqual([])
})

test('a subscriber that stops reading is cut off past STREAM_QUEUE_MAX items, without harming a reading one or ingestion; it resumes from the database', async () => {
  const dep = await t.createDeployment('live')
  const { bus, streams } = h.app.services
  const slow = await eventStream(h, dep, t.asKey)
  const fast = await eventStream(h, dep, t.asKey)
  expect(bus.listenerCount).toBe(2)
  await batch(h, t, dep, [progress(0), progress(1), progress(2)])
  const seen = await slow.messages(4)
  expectArrivals(seen, 1, 3)
  const fastReading = fast.rest(20_000)
  // The slow one reads no more: a flood of batches, and single reports among them. Short of the bound it
  // is kept; past it, cut off.
  const replies: Promise<Reply>[] = []
  let n = 3
  const flood = (batches: number) => {
    for (let b = 0; b < batches; b++) {
      replies.push(batch(h, t, dep, Array.from({ length: 500 }, () => progress(n++, -b))))
      replies.push(report(h, t, dep, progress(n++, b)))
    }
  }
  flood(Math.floor((STREAM_QUEUE_MAX * 0.8) / 501))
  answeredAll(await Promise.all(replies))
  await Bun.sleep(50)
  expect(bus.listenerCount).toBe(2)
  expect(cutOff).toEqual([])
  // Past the bound for certain: what waits in the inbox is bounded by STREAM_QUEUE_MAX, and the stream may
  // hold one wake-up's take of up to as many more, blocked in its write (src/http/streams.ts) — so only a
  // flood past twice the bound cuts it off whenever that take happened (on PostgreSQL, with round trips
  // between the commits, it often happens in the middle of the flood).
  flood(Math.ceil((STREAM_QUEUE_MAX * 1.3) / 501))
  answeredAll(await Promise.all(replies))
  await until(() => bus.listenerCount === 1, 5000, 'the slow stream unsubscribed')
  expect(streams.openCount).toBe(1)
  expect(cutOff).toHaveLength(1)
  await report(h, t, dep, event('job.completed', '2026-03-07T13:00:00Z'))
  const fastGot = await fastReading
  expectArrivals(fastGot, 1, n + 1)
  expect(fastGot.at(-1)!.event).toBe('end')

  // What the slow one can still read follows on from what it had, and then its stream ends.
  const leftover = await slow.rest()
  expect(slow.ended).toBe(true)
  const before = eventsOf([...seen, ...leftover])
  expectArrivals(before, 1, before.length)
  expect(leftover.some((m) => m.event !== undefined)).toBe(false)
  const resumed = await eventStream(h, dep, { ...t.asKey, 'last-event-id': before.at(-1)!.id! }).then((s) => s.rest(20_000))
  expect(statusOf(resumed[0])).toBe('completed')
  expectArrivals(resumed, before.length + 1, n + 1)
  expect(resumed.at(-1)!.event).toBe('end')
  expect(bus.listenerCount).toBe(0)
  expect(streams.openCount).toBe(0)
})
