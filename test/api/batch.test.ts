// POST /api/deployments/{id}/events/batch (docs/api.md §3.4).
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { UPSTREAM_RATE_LIMITS } from '../../src/services/rate-limits'
import { createHarness, createTenant, event, fixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

const batch = (events: unknown, headers = t.asAgent, id = dep) => h.request('POST', `/api/deployments/${id}/events/batch`, { body: { events }, headers })
const deployment = async () => (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body
const listed = async () => (await h.request('GET', `/api/deployments/${dep}/events?limit=500`, { headers: t.asKey })).body

describe('batch report', () => {
  test('answers results in input order with created and duplicate counts', async () => {
    const single = await h.request('POST', `/api/deployments/${dep}/events`, { body: event('step.progress', undefined, { payload: { i: 1 } }), headers: t.asAgent })
    const reply = await batch([
      event('step.progress', undefined, { payload: { i: 0 } }),
      event('step.progress', undefined, { payload: { i: 1 } }), // stored before, by the single report
      event('step.progress', undefined, { payload: { i: 2 } }),
      event('step.progress', undefined, { payload: { i: 0 } }), // a duplicate within the batch
    ])
    expect(reply.status).toBe(200)
    expect(reply.body.created).toBe(2)
    expect(reply.body.duplicates).toBe(2)
    const [a, b, c, d] = reply.body.results
    expect(a).toEqual({ id: expect.stringMatching(/^evt-/), status: 'created' })
    expect(b).toEqual({ id: single.body.id, status: 'duplicate' })
    expect(c.status).toBe('created')
    expect(d).toEqual({ id: a.id, status: 'duplicate' })
    expect((await listed()).total).toBe(3)
    expect((await deployment()).event_count).toBe(3)
  })

  test('a retried batch stores nothing new', async () => {
    const events = Array.from({ length: 50 }, (_, i) => event('step.progress', `2026-03-07T12:00:${String(i).padStart(2, '0')}Z`, { payload: { i } }))
    expect((await batch(events)).body.created).toBe(50)
    const again = await batch(events)
    expect(again.body).toMatchObject({ created: 0, duplicates: 50 })
    expect((await listed()).total).toBe(50)
  })

  test('retries are recognised out of time order, in the same batch and across the ten-row inserts; same-instant events with other content are kept', async () => {
    const at = (s: number) => `2026-03-07T12:00:${String(s).padStart(2, '0')}Z`
    // 25 events: two ten-row statements and five single rows.
    const first = Array.from({ length: 25 }, (_, i) => event('step.progress', at(i), { payload: { i } }))
    const stored = (await batch(first)).body.results.map((r: { id: string }) => r.id)
    const reply = await batch([
      event('step.progress', at(30), { payload: { i: 30 } }), // new, and later than everything stored
      first[5], // a retry of an event older than the newest one
      event('step.progress', at(5), { payload: { i: 'other' } }), // the same instant, other content: a new event
      event('step.progress', at(30), { payload: { i: 30 } }), // a retry of this batch's first event, not yet written
      first[24],
      event('step.progress', at(5), { payload: { i: 'other' } }), // a retry of the third
    ])
    const [a, b, c, d, e, f] = reply.body.results
    expect(reply.body).toMatchObject({ created: 2, duplicates: 4 })
    expect([a.status, c.status]).toEqual(['created', 'created'])
    expect(b).toEqual({ id: stored[5], status: 'duplicate' })
    expect(d).toEqual({ id: a.id, status: 'duplicate' })
    expect(e).toEqual({ id: stored[24], status: 'duplicate' })
    expect(f).toEqual({ id: c.id, status: 'duplicate' })
    const list = await listed()
    expect(list.total).toBe(27)
    // Time order, ties in arrival order: the new event at :05 follows the first one.
    expect(list.events.map((x: { id: string }) => x.id)).toEqual([...stored.slice(0, 6), c.id, ...stored.slice(6), a.id])
    expect((await deployment()).event_count).toBe(27)
  })

  test('a batch older than over a thousand stored events, whose range is too wide to read at once, is checked event by event', async () => {
    const at = (n: number) => new Date(Date.parse('2026-03-07T12:00:00Z') + n * 1000).toISOString()
    const ids: string[] = []
    for (let b = 0; b < 3; b++) {
      const reply = await batch(Array.from({ length: 400 }, (_, i) => event('step.progress', at(b * 400 + i), { payload: { n: b * 400 + i } })))
      ids.push(...reply.body.results.map((r: { id: string }) => r.id))
    }
    const reply = await batch([
      event('step.progress', at(0), { payload: { n: 0 } }),
      event('step.progress', at(600), { payload: { n: 'other' } }),
      event('step.progress', at(1199), { payload: { n: 1199 } }),
      event('step.progress', at(600), { payload: { n: 'other' } }),
    ])
    const [a, b, c, d] = reply.body.results
    expect(a).toEqual({ id: ids[0], status: 'duplicate' })
    expect(b.status).toBe('created')
    expect(c).toEqual({ id: ids[1199], status: 'duplicate' })
    expect(d).toEqual({ id: b.id, status: 'duplicate' })
    expect((await deployment()).event_count).toBe(1201)
  })

  test('two batches committed in one group: the older one finds the newer one’s rows, written or not', async () => {
    const at = (s: number) => `2026-03-07T12:00:${String(s).padStart(2, '0')}Z`
    const newer = Array.from({ length: 10 }, (_, i) => event('step.progress', at(10 + i), { payload: { i: 10 + i } }))
    const older = [newer[5], event('step.progress', at(12), { payload: { i: 'other' } }), event('step.progress', at(5), { payload: { i: 5 } }), newer[9]]
    const [first, second] = await Promise.all([batch(newer), batch(older)])
    // Sent together, they have no order between them (on PostgreSQL each request's checks are round trips,
    // and the batches reach the group queue as those return): whichever is stored first, the other finds
    // the two events they share, with the first one's ids.
    const newerFirst = first!.body.created === 10
    const [earlier, later, shared] = newerFirst ? [first!, second!, [[5, 0], [9, 3]]] : [second!, first!, [[0, 5], [3, 9]]]
    expect(earlier.body.created).toBe(newerFirst ? 10 : 4)
    expect(later.body.created).toBe(newerFirst ? 2 : 8)
    for (const [e, l] of shared as number[][]) expect(later.body.results[l!]).toEqual({ id: earlier.body.results[e!].id, status: 'duplicate' })
    const [, b, c] = second!.body.results
    expect([b.status, c.status]).toEqual(['created', 'created'])
    expect((await listed()).total).toBe(12)
  })

  test('transitions apply in input order: accepted, then completed, then late events change nothing', async () => {
    const reply = await batch([event('job.accepted'), event('step.started'), event('job.completed'), event('job.failed'), event('step.progress')])
    expect(reply.body.created).toBe(5)
    expect(await deployment()).toMatchObject({ status: 'completed', event_count: 5 })
    expect((await deployment()).started_at).not.toBeNull()
  })

  test('500 events are accepted; 501 and 0 are not', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => event('step.progress', undefined, { payload: { i } }))
    expect((await batch(many(500))).body.created).toBe(500)
    for (const n of [0, 501]) {
      const reply = await batch(many(n))
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith('events:')
    }
    expect((await listed()).total).toBe(500)
  })

  test('bodies up to 16 MiB are accepted; past it, 413', async () => {
    const blob = 'x'.repeat(60 * 1024)
    const big = Array.from({ length: 250 }, (_, i) => event('step.progress', undefined, { payload: { i, blob } })) // ≈ 15 MiB
    const reply = await batch(big)
    expect(reply.status).toBe(200)
    expect(reply.body.created).toBe(250)
    const over = await h.request('POST', `/api/deployments/${dep}/events/batch`, { raw: 'x'.repeat(16 * 1024 * 1024 + 1), headers: t.asAgent })
    expect(over.status).toBe(413)
  })

  test.each([
    ['a bad type', [event('job.accepted'), { ...event('x'), type: 'Bad' }], 400, 'events[1].type'],
    ['a timestamp without offset', [event('job.accepted'), event('step.progress'), event('step.progress', '2026-03-07T12:00:00')], 400, 'events[2].timestamp'],
    ['a non-object event', [event('job.accepted'), 'event'], 400, 'events[1]'],
    ['a payload array', [{ ...event('job.accepted'), payload: [] }], 400, 'events[0].payload'],
    ['a payload over 64 KiB', [event('job.accepted'), { ...event('step.progress'), payload: { blob: 'x'.repeat(65 * 1024) } }], 413, 'events[1].payload'],
  ])('%s fails the whole batch naming %s; nothing stored, no transition', async (_, events, status, field) => {
    const reply = await batch(events)
    expect(reply.status).toBe(status)
    expect(reply.body.error).toStartWith(`${field}:`)
    expect((await listed()).total).toBe(0)
    expect((await deployment()).status).toBe('pending')
  })

  test('a payload over 64 KiB of multi-byte text is a 413 even when another event is bad', async () => {
    const reply = await batch([{ ...event('a.b'), timestamp: 'bad' }, { ...event('a.b'), payload: { text: '一'.repeat(25_000) } }])
    expect(reply.status).toBe(413)
    expect(reply.body.error).toStartWith('events[1].payload:')
  })

  test('the body must be {events: [...]}', async () => {
    expect((await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: [event('a.b')], headers: t.asAgent })).body.error).toStartWith('body:')
    expect((await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: { events: 'x' }, headers: t.asAgent })).body.error).toStartWith('events:')
  })

  test('same rules as a single report: 404, 403 and 409 win over a bad body', async () => {
    expect((await batch([{ type: 'BAD' }], t.asAgent, 'dep-nope')).status).toBe(404)
    const sim = await t.createDeployment('simulated')
    expect((await batch([event('job.accepted')], t.asAgent, sim)).status).toBe(409)
    await h.request('GET', '/api/agent/workloads', { headers: t.asAgent }) // dispatches dep to sat-25544
    expect((await batch([event('job.accepted')], { ...t.asKey, 'x-agent-id': 'sat-other' })).status).toBe(403)
  })

  test('limited to 10 per minute per deployment only when rate limits are on', async () => {
    for (let i = 0; i < 12; i++) expect((await batch([event('step.progress', undefined, { payload: { i } })])).status).toBe(200)
    await h.close()
    h = createHarness({ clock: fixedClock(), rateLimits: UPSTREAM_RATE_LIMITS })
    t = await createTenant(h)
    dep = await t.createDeployment('live')
    for (let i = 0; i < 10; i++) expect((await batch([event('step.progress', undefined, { payload: { i } })])).status).toBe(200)
    const limited = await batch([event('step.progress', undefined, { payload: { i: 10 } })])
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('6')
    expect((await listed()).total).toBe(10)
  })
})
