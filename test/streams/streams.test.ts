// GET /api/deployments/{id}/events/stream (docs/api.md §3.3), in process: what a client is sent, in what order,
// from where it resumes, and who may open it.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, send, type Harness, type Tenant } from '../helpers'
import { batch, deploymentOf, eventStream, eventsOf, expectArrivals, expectListItems, payloadI, progress, report, statusOf } from './kit'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
})
afterEach(() => h.close())

const STATUS_KEYS = ['status', 'started_at', 'completed_at']

describe('what a connection is sent', () => {
  test('status first (no id), stored events in arrival order as list items, live ones, another status on a change, end after the terminal one', async () => {
    const dep = await t.createDeployment('live')
    expect((await report(h, t, dep, event('job.accepted'))).status).toBe(201)
    expect((await batch(h, t, dep, [progress(1, 5, { step_id: 'capture' }), progress(2, 1, { job_id: undefined })])).status).toBe(200)
    const s = await eventStream(h, dep, t.asKey)
    expect(s.response.status).toBe(200)
    expect(s.response.headers.get('content-type')).toStartWith('text/event-stream')
    const first = (await s.next())!
    expect(Object.keys(first).sort()).toEqual(['data', 'event'])
    expect(first.event).toBe('status')
    expect(Object.keys(JSON.parse(first.data!))).toEqual(STATUS_KEYS)
    expect(JSON.parse(first.data!)).toEqual({ status: 'running', started_at: '2026-03-07T12:00:00Z', completed_at: null })
    const stored = await s.messages(3)
    expectArrivals(stored, 1, 3)
    expect(stored.every((m) => Object.keys(m).sort().join() === 'data,id')).toBe(true)
    await expectListItems(h, t, dep, stored)

    expect((await report(h, t, dep, progress(3, 2, { payload: { i: 3, big: 12345678901234567890, f: 72000.0, s: 'line\nbreak \u2028 é' } }))).status).toBe(201)
    const live = await s.messages(1)
    expectArrivals(live, 4, 4)
    expect((await report(h, t, dep, event('job.completed', '2026-03-07T12:01:00Z'))).status).toBe(201)
    // Late data: stored after the terminal event, but the stream has ended by then.
    const rest = await s.rest()
    expect(s.ended).toBe(true)
    expectArrivals(rest, 5, 5)
    expect(rest.slice(1)).toEqual([
      { event: 'status', data: JSON.stringify({ status: 'completed', started_at: '2026-03-07T12:00:00Z', completed_at: '2026-03-07T12:00:00Z' }) },
      { event: 'end', data: '{"status":"completed"}' },
    ])
    await expectListItems(h, t, dep, [...live, ...rest])
  })

  test('a pending deployment: status pending; dispatch and the events that move it each come as another status, after the events that caused them', async () => {
    const dep = await t.createDeployment('live')
    const s = await eventStream(h, dep, t.asKey)
    expect(JSON.parse((await s.next())!.data!)).toEqual({ status: 'pending', started_at: null, completed_at: null })
    expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
    expect(statusOf(await s.next())).toBe('dispatched')
    await report(h, t, dep, event('job.accepted'))
    const [accepted, running] = await s.messages(2)
    expect(accepted!.id).toBe('1')
    expect(statusOf(running)).toBe('running')
    await report(h, t, dep, event('job.failed', undefined, { payload: { reason: 'x' } }))
    const rest = await s.rest()
    expect(rest.map((m) => m.event ?? m.id)).toEqual(['2', 'status', 'end'])
    expect(JSON.parse(rest[2]!.data!)).toEqual({ status: 'failed' })
  })

  test('one batch that moves the deployment twice: each status right after the event that caused it', async () => {
    const dep = await t.createDeployment('live')
    const s = await eventStream(h, dep, t.asKey)
    await s.next()
    await batch(h, t, dep, [event('job.accepted'), progress(1), event('job.completed'), progress(2)])
    const shape = (all: Array<{ event?: string; id?: string; data?: string }>) => all.map((m) => (m.event ? `${m.event}:${JSON.parse(m.data!).status}` : m.id))
    // Event 4 came after the terminal status (late data): not on this stream, which ends there
    // (docs/streams.md); a reconnect fetches it.
    expect(shape(await s.rest())).toEqual(['1', 'status:running', '2', '3', 'status:completed', 'end:completed'])
    // Opened afterwards: the status it is in now, every event, end.
    expect(shape(await eventStream(h, dep, t.asKey).then((r) => r.rest()))).toEqual(['status:completed', '1', '2', '3', '4', 'end:completed'])
  })

  test('a cancel is a status, then end', async () => {
    const dep = await t.createDeployment('live')
    await report(h, t, dep, event('job.accepted'))
    const s = await eventStream(h, dep, t.asKey)
    await s.messages(2)
    expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })).status).toBe(200)
    expect((await s.rest()).map((m) => [m.event, statusOf(m)])).toEqual([
      ['status', 'cancelled'],
      ['end', undefined],
    ])
  })

  test('a deployment already terminal: status, every event (over several pages), end, and the stream closes', async () => {
    const dep = await t.createDeployment('live')
    for (let b = 0; b < 3; b++) await batch(h, t, dep, Array.from({ length: 450 }, (_, i) => progress(b * 450 + i)))
    await report(h, t, dep, event('job.completed'))
    await report(h, t, dep, progress(9999)) // late data, stored after the terminal event
    for (const query of ['', '?after=1349']) {
      const all = await eventStream(h, dep, t.asKey, query).then((s) => s.rest())
      expect(statusOf(all[0])).toBe('completed')
      expect(all.at(-1)).toEqual({ event: 'end', data: '{"status":"completed"}' })
      const from = query ? 1350 : 1
      expectArrivals(all.slice(1, -1), from, 1352)
      expect(all).toHaveLength(1352 - from + 3)
    }
    const all = await eventStream(h, dep, t.asKey).then((s) => s.rest())
    await expectListItems(h, t, dep, all)
  })
})

test('large payloads (kept out of line, written ahead of the batch) go out exactly as the list shows them, live and caught up', async () => {
  const dep = await t.createDeployment('live')
  const s = await eventStream(h, dep, t.asKey)
  await s.next()
  const big = Array.from({ length: 60 }, (_, i) => progress(i, i, { payload: { i, blob: 'é\u2028"'.repeat(7000) + String(i), n: [1.5e300, -0.0, 1e-7] } }))
  expect((await batch(h, t, dep, [...big, progress(60)])).body.created).toBe(61)
  const live = await s.messages(61)
  expectArrivals(live, 1, 61)
  await expectListItems(h, t, dep, live)
  s.close()
  const caughtUp = await eventStream(h, dep, t.asKey).then(async (r) => (await r.messages(62)).slice(1))
  expect(caughtUp.map((m) => JSON.parse(m.data!))).toEqual(live.map((m) => JSON.parse(m.data!)))
  expect(caughtUp.map((m) => m.data)).toEqual(live.map((m) => m.data))
})

describe('arrival order', () => {
  test('a batch whose timestamps run backwards arrives in input order; resuming in the middle works; retries get no arrival and are not sent', async () => {
    const dep = await t.createDeployment('live')
    const s = await eventStream(h, dep, t.asKey)
    await s.next()
    const backwards = Array.from({ length: 20 }, (_, i) => progress(i, 100 - i))
    expect((await batch(h, t, dep, backwards)).body.created).toBe(20)
    const got = await s.messages(20)
    expectArrivals(got, 1, 20)
    expect(got.map(payloadI)).toEqual(backwards.map((_, i) => i))
    // The list is chronological: the other way round.
    const listed = (await h.request('GET', `/api/deployments/${dep}/events?limit=500`, { headers: t.asKey })).body.events
    expect(listed.map((e: { payload: { i: number } }) => e.payload.i)).toEqual(backwards.map((_, i) => 19 - i))
    await expectListItems(h, t, dep, got)

    // Retries, single and batched, even mixed with a new event: only the new one is stored and sent.
    expect((await report(h, t, dep, backwards[3])).status).toBe(200)
    expect((await batch(h, t, dep, [...backwards.slice(5, 10), progress(20, 0)])).body).toMatchObject({ created: 1, duplicates: 5 })
    const next = await s.messages(1)
    expectArrivals(next, 21, 21)
    expect(payloadI(next[0]!)).toBe(20)
    expect(await s.within(100)).toBe('quiet')
    s.close()

    const resumed = await eventStream(h, dep, { ...t.asKey, 'last-event-id': '10' })
    const after = await resumed.messages(12)
    expect(statusOf(after[0])).toBe('pending')
    expectArrivals(after.slice(1), 11, 21)
    expect(after.slice(1).map(payloadI)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
    resumed.close()
    expect((await deploymentOf(h, t, dep)).event_count).toBe(21)
  })

  test('after a restart, a resume with Last-Event-ID continues exactly: arrival numbers survive, new ones follow on', async () => {
    const dep = await t.createDeployment('live')
    await batch(h, t, dep, Array.from({ length: 30 }, (_, i) => progress(i, -i)))
    const before = await eventStream(h, dep, t.asKey)
    const seen = await before.messages(21)
    expectArrivals(seen.slice(1), 1, 20)
    before.close()
    h.restart()
    // A retry after the restart is still no new arrival.
    expect((await report(h, t, dep, progress(7, -7))).status).toBe(200)
    await report(h, t, dep, progress(30))
    const after = await eventStream(h, dep, { ...t.asKey, 'last-event-id': seen.at(-1)!.id! })
    expect(statusOf(await after.next())).toBe('pending')
    const rest = await after.messages(11)
    expectArrivals(rest, 21, 31)
    expect(rest.map(payloadI)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30])
    await report(h, t, dep, progress(31))
    expectArrivals(await after.messages(1), 32, 32)
    after.close()
    await expectListItems(h, t, dep, rest)
  })
})

describe('who may open it, and from where', () => {
  test('another user’s deployment or an unknown one is 404, no credential 401, a key without X-Agent-ID and a session both work', async () => {
    const dep = await t.createDeployment('live')
    const other = await createTenant(h)
    for (const [path, headers, status, code] of [
      [`/api/deployments/${dep}/events/stream`, other.asKey, 404, 'NOT_FOUND'],
      [`/api/deployments/${dep}/events/stream`, { cookie: other.cookie }, 404, 'NOT_FOUND'],
      ['/api/deployments/dep-unknown/events/stream', t.asKey, 404, 'NOT_FOUND'],
      [`/api/deployments/${dep}/events/stream`, {}, 401, 'UNAUTHORIZED'],
      ['/api/deployments/stream', {}, 401, 'UNAUTHORIZED'],
      [`/api/deployments/${dep}/events/stream`, { 'x-api-key': 'rs_live_' + 'x'.repeat(40) }, 401, 'UNAUTHORIZED'],
    ] as const) {
      const reply = await send(h.app, 'GET', path, { headers })
      expect([path, reply.status]).toEqual([path, status])
      expect(reply.headers.get('content-type')).toStartWith('application/json')
      expect(reply.body).toEqual({ error: expect.any(String), code })
    }
    for (const headers of [t.asKey, { authorization: `Bearer ${t.key}` }, { cookie: t.cookie }, t.asAgent]) {
      const s = await eventStream(h, dep, headers)
      expect(statusOf(await s.next())).toBe('pending')
      s.close()
    }
    // Another user's events never reach this user's stream, nor the other way round.
    const theirs = await other.createDeployment('live')
    const s = await eventStream(h, dep, t.asKey)
    await s.next()
    await report(h, other, theirs, progress(1))
    await report(h, t, dep, progress(2))
    expect((await s.messages(1)).map(payloadI)).toEqual([2])
    s.close()
  })

  test('HEAD answers at once with the stream’s headers and opens no stream; it checks access like GET', async () => {
    const dep = await t.createDeployment('live')
    const other = await createTenant(h)
    for (const [path, headers, status] of [
      [`/api/deployments/${dep}/events/stream`, t.asKey, 200],
      ['/api/deployments/stream', { cookie: t.cookie }, 200],
      [`/api/deployments/${dep}/events/stream`, other.asKey, 404],
      ['/api/deployments/stream', {}, 401],
    ] as const) {
      const reply = await Promise.race([send(h.app, 'HEAD', path, { headers }), Bun.sleep(1000).then(() => null)])
      expect([path, reply?.status]).toEqual([path, status])
      if (status === 200) expect(reply!.headers.get('content-type')).toStartWith('text/event-stream')
      expect(reply!.text).toBe('')
      expect(h.app.services.bus.listenerCount).toBe(0)
      expect(h.app.services.streams.openCount).toBe(0)
    }
  })

  const BAD = ['-1', '1.5', 'abc', '', '9007199254740992', '1e3', '12345678901234567', '0x10', '+1', '1 ']
  test('a bad Last-Event-ID or ?after= is 400 VALIDATION naming it, on both streams', async () => {
    const dep = await t.createDeployment('live')
    for (const base of [`/api/deployments/${dep}/events/stream`, '/api/deployments/stream']) {
      for (const value of BAD) {
        const byQuery = await send(h.app, 'GET', `${base}?after=${encodeURIComponent(value)}`, { headers: t.asKey })
        expect([value, byQuery.status, byQuery.body.code]).toEqual([value, 400, 'VALIDATION'])
        expect(byQuery.body.error).toStartWith('after')
        // Header values lose their outer spaces on the way in, as over HTTP.
        if (value.trim() !== value) continue
        const byHeader = await send(h.app, 'GET', base, { headers: { ...t.asKey, 'last-event-id': value } })
        expect([value, byHeader.status, byHeader.body.code]).toEqual([value, 400, 'VALIDATION'])
        expect(byHeader.body.error).toStartWith('Last-Event-ID')
      }
      for (const query of ['?after=%201', '?after', '?after=1&after=2', '?after=1&after=1']) {
        const reply = await send(h.app, 'GET', `${base}${query}`, { headers: t.asKey })
        expect([query, reply.status, reply.body]).toEqual([query, 400, { error: expect.stringMatching(/^after\b/), code: 'VALIDATION' }])
      }
      // The header wins: a good header with a bad ?after= is fine, a bad header with a good ?after= is not.
      const good = await send(h.app, 'GET', `${base}?after=1`, { headers: { ...t.asKey, 'last-event-id': 'x' } })
      expect([good.status, good.body.error]).toEqual([400, expect.stringMatching(/^Last-Event-ID/)])
    }
    const s = await eventStream(h, dep, { ...t.asKey, 'last-event-id': '0' }, '?after=abc')
    expect(statusOf(await s.next())).toBe('pending')
    s.close()
  })

  test('the header wins over ?after=; leading zeros and 2^53 − 1 are fine', async () => {
    const dep = await t.createDeployment('live')
    await batch(h, t, dep, Array.from({ length: 5 }, (_, i) => progress(i)))
    const both = await eventStream(h, dep, { ...t.asKey, 'last-event-id': '3' }, '?after=1')
    expectArrivals((await both.messages(3)).slice(1), 4, 5)
    both.close()
    const zeros = await eventStream(h, dep, t.asKey, '?after=0004')
    expectArrivals((await zeros.messages(2)).slice(1), 5, 5)
    zeros.close()
    const max = await eventStream(h, dep, { ...t.asKey, 'last-event-id': '9007199254740991' })
    expect(statusOf(await max.next())).toBe('pending')
    max.close()
  })

  test('a resume point past the last event means nothing yet: status, then the live events', async () => {
    const dep = await t.createDeployment('live')
    await batch(h, t, dep, [progress(0), progress(1)])
    const ways: Array<[Record<string, string>, string]> = [
      [{ ...t.asKey, 'last-event-id': '50' }, ''],
      [t.asKey, '?after=9007199254740991'],
    ]
    for (const [i, [headers, query]] of ways.entries()) {
      const s = await eventStream(h, dep, headers, query)
      expect(statusOf(await s.next())).toBe('pending')
      expect(await s.within(50)).toBe('quiet')
      await report(h, t, dep, progress(10 + i))
      const [live] = await s.messages(1, 2000)
      expect(live!.id).toBe(String(3 + i))
      expect(payloadI(live!)).toBe(10 + i)
      s.close()
    }
  })
})

describe('simulated deployments', () => {
  test('a fast replay streams its plan events and ends completed, with or without a terminal plan event', async () => {
    await h.close()
    h = createHarness()
    t = await createTenant(h)
    const plain = await h.request('POST', '/api/plans', {
      body: { mission_id: t.missionId, label: 'no end', satellite_id: '25544', plan_data: { events: [0, 10, 20, 30].map((s) => ({ type: 'step.progress', timestamp_s: s, step_id: `s${s}` })) } },
      headers: t.asKey,
    })
    expect(plain.status).toBe(201)
    // Fast, but slow enough that the streams open while they play (60 s and 30 s of plan at 200×).
    const ended = await t.createDeployment('simulated', { speed_multiplier: 200 })
    const unended = (await h.request('POST', '/api/deployments', { body: { plan_id: plain.body.id, mode: 'simulated', speed_multiplier: 200 }, headers: t.asKey })).body.id
    const streams = [await eventStream(h, ended, t.asKey), await eventStream(h, unended, t.asKey)]
    for (const [id, types, s] of [
      [ended, ['job.accepted', 'step.started', 'job.completed'], streams[0]!],
      [unended, ['step.progress', 'step.progress', 'step.progress', 'step.progress'], streams[1]!],
    ] as const) {
      const all = await s.rest(10_000)
      expect(statusOf(all[0])).toBe('running')
      expect(eventsOf(all).map((m) => JSON.parse(m.data!).event_type)).toEqual([...types])
      expectArrivals(all, 1, types.length)
      expect(all.slice(-2).map((m) => [m.event, statusOf(m)])).toEqual([
        ['status', 'completed'],
        ['end', undefined],
      ])
      await expectListItems(h, t, id, all)
      // Opened once it has ended: status completed, the plan events, end.
      const again = await eventStream(h, id, t.asKey).then((r) => r.rest())
      expect(again.map((m) => m.event ?? m.id)).toEqual(['status', ...types.map((_, i) => String(i + 1)), 'end'])
    }
  })
})
