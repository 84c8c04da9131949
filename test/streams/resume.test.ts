// Resuming an event stream (docs/api.md §3.3): after a disconnect, with Last-Event-ID or ?after= (the header
// wins), a client gets every event stored meanwhile — while it was away and while it reconnected, with
// reports and batches racing the connects — exactly once.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, type Harness, type Reply, type Tenant } from '../helpers'
import type { SseMessage } from './sse'
import { batch, eventStream, eventsOf, expectArrivals, expectListItems, isEvent, payloadI, progress, report, statusOf, type Stream } from './kit'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
})
afterEach(() => h.close())

/** A small seeded generator: the same "random" disconnects on every run. */
function seeded(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
}

/** Reports and batches of distinct events, fired without waiting; `settled` waits for every answer. */
function load(id: string) {
  let next = 0
  let answered = 0
  const replies: Promise<Reply>[] = []
  /** Counts the events a reply says are stored (each is distinct: stored anew, never a retry). */
  const counted = (reply: Promise<Reply>) =>
    reply.then((r) => {
      answered += r.status === 201 ? 1 : r.status === 200 ? (r.body.created as number) : 0
      return r
    })
  return {
    fire(singles: number, batchSize: number) {
      for (let k = 0; k < singles; k++) replies.push(counted(report(h, t, id, progress(next++, next % 7))))
      if (batchSize) replies.push(counted(batch(h, t, id, Array.from({ length: batchSize }, () => progress(next++, -(next % 5))))))
    },
    get sent() {
      return next
    },
    /** Events answered as stored so far: arrivals 1 to this at least are stored (and durable). */
    get stored() {
      return answered
    },
    async settled() {
      const all = await Promise.all(replies)
      expect(all.filter((r) => r.status !== 201 && r.status !== 200).map((r) => r.text)).toEqual([])
    },
  }
}

/** Up to `count` event messages, stopping early when none comes for a while. */
async function take(s: Stream, count: number): Promise<SseMessage[]> {
  const out: SseMessage[] = []
  while (out.length < count) {
    const m = await s.within(150)
    if (m === 'quiet' || m === null) break
    expect(isEvent(m)).toBe(true)
    out.push(m)
  }
  return out
}

test('disconnects and resumes, by header, by ?after= and by both, with reports racing every connect: no gap, no duplicate', async () => {
  const dep = await t.createDeployment('live')
  await report(h, t, dep, event('job.accepted', '2026-03-07T11:59:00Z'))
  const random = seeded(7)
  const traffic = load(dep)
  const received: SseMessage[] = []
  let last = 0
  for (let round = 0; round < 15; round++) {
    const resume = String(last)
    // Header, ?after=, or both with a stale ?after= that must lose.
    const way = round % 3
    const headers = way === 1 ? t.asKey : { ...t.asKey, 'last-event-id': resume }
    const query = way === 0 ? '' : way === 1 ? `?after=${resume}` : '?after=0'
    traffic.fire(random(6), random(3) * 7)
    const opening = eventStream(h, dep, headers, query)
    traffic.fire(random(4), random(2) * 11)
    const s = await opening
    expect(statusOf(await s.next())).toBe('running')
    traffic.fire(random(3), 5)
    const got = await take(s, 1 + random(40))
    received.push(...got)
    if (got.length) last = Number(got.at(-1)!.id)
    s.close()
    // While it is away.
    traffic.fire(random(5), random(2) * 13)
  }
  await traffic.settled()
  await report(h, t, dep, event('job.completed', '2026-03-07T13:00:00Z'))
  const rest = await eventStream(h, dep, { ...t.asKey, 'last-event-id': String(last) }).then((s) => s.rest())
  expect(statusOf(rest[0])).toBe('completed')
  expect(rest.at(-1)!.event).toBe('end')
  received.push(...eventsOf(rest))
  const total = traffic.sent + 2
  expectArrivals(received, 1, total)
  expect(new Set(received.filter((m) => JSON.parse(m.data!).event_type === 'step.progress').map(payloadI)).size).toBe(traffic.sent)
  await expectListItems(h, t, dep, received)
})

test('clients connecting from every point while batches flood in each get exactly what followed their point', async () => {
  const dep = await t.createDeployment('live')
  const traffic = load(dep)
  traffic.fire(0, 100)
  await traffic.settled()
  const streams: Array<{ from: number; s: Promise<Stream> }> = []
  for (let k = 0; k < 30; k++) {
    traffic.fire(2, 40)
    // From points stored already, while the events after them are being stored as they connect. Never
    // from a point not stored yet: no stream sent it (streams send only durable events), and a point past
    // the last event means "nothing yet" (docs/streams.md "Resume point"): such a client is sent the
    // events that then take the numbers up to its point (test/streams/streams.test.ts checks that).
    const from = Math.min(k * 9, traffic.stored)
    streams.push({ from, s: eventStream(h, dep, { ...t.asKey, 'last-event-id': String(from) }) })
    if (k % 4 === 0) await Bun.sleep(1)
  }
  await traffic.settled()
  await report(h, t, dep, event('job.failed'))
  const total = traffic.sent + 1
  for (const { from, s } of streams) {
    const all = await (await s).rest()
    expect(statusOf(all[0])).toBe('pending')
    expect(all.slice(-2).map((m) => m.event)).toEqual(['status', 'end'])
    expectArrivals(all, from + 1, total)
  }
})

test('an event stored while a client connects, with nothing after it to reveal a gap, still arrives', async () => {
  const dep = await t.createDeployment('live')
  for (let k = 0; k < 25; k++) {
    // The report goes at a different moment of each connect: before, during, just after.
    const opening = eventStream(h, dep, { ...t.asKey, 'last-event-id': String(k) })
    const delay = k % 5
    const reply = Bun.sleep(delay).then(() => report(h, t, dep, progress(k)))
    const s = await opening
    expect(statusOf(await s.next())).toBe('pending')
    const [got] = await s.messages(1, 1000)
    expect([k, got!.id]).toEqual([k, String(k + 1)])
    expect((await reply).status).toBe(201)
    expect(await s.within(20)).toBe('quiet')
    s.close()
  }
})
