import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { createHarness, createTenant, event, fixedClock, onPostgres, type Harness, type Tenant } from '../helpers'

let h: Harness
let clock: ReturnType<typeof fixedClock>
let t: Tenant
let dep: string
beforeEach(async () => {
  clock = fixedClock('2026-03-07T12:00:01Z')
  h = createHarness({ clock })
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

const report = (body: unknown, headers = t.asAgent, id = dep) => h.request('POST', `/api/deployments/${id}/events`, { body, headers })
const list = (query = '', headers = t.asKey) => h.request('GET', `/api/deployments/${dep}/events${query}`, { headers })
const deployment = async () => (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body

describe('reporting and listing', () => {
  test('a report answers 201 {id}; the list has the compat shape plus job_id', async () => {
    const reply = await report({ type: 'job.accepted', timestamp: '2026-03-07T12:00:00Z', job_id: 'preset-001', payload: { preset: 'onboard-ml-inference' } })
    expect(reply.status).toBe(201)
    expect(reply.body).toEqual({ id: expect.stringMatching(/^evt-[0-9a-z]{26}$/) })
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const page = await list()
    expect(page.body).toEqual({
      events: [
        {
          id: reply.body.id,
          event_type: 'job.accepted',
          step_id: null,
          job_id: 'preset-001',
          payload: { preset: 'onboard-ml-inference' },
          event_timestamp: '2026-03-07T12:00:00Z',
          created_at: '2026-03-07T12:00:01Z',
        },
      ],
      total: 1,
      offset: 0,
      limit: 100,
    })
  })

  test('payloads are kept verbatim, unknown keys and all; unknown well-formed types are accepted', async () => {
    const payload = { nested: { deep: [1, 'two', null, { x: true }] }, 'odd key': 'ü ✓', n: 1.25e-7 }
    expect((await report(event('custom_vendor.thing_happened', undefined, { payload, step_id: 'feature_extraction' }))).status).toBe(201)
    const [item] = (await list()).body.events
    expect(item.payload).toEqual(payload)
    expect(item.step_id).toBe('feature_extraction')
  })

  test('integers beyond 2^53 in a payload are kept exactly, and two that differ are two events', async () => {
    const raw = (ns: string) => `{"type":"step.progress","timestamp":"2026-03-07T12:00:00Z","job_id":"j","payload":{"ns":${ns},"small":72000.0}}`
    const a = await h.request('POST', `/api/deployments/${dep}/events`, { raw: raw('1772884800123456789'), headers: t.asAgent })
    const b = await h.request('POST', `/api/deployments/${dep}/events`, { raw: raw('1772884800123456790'), headers: t.asAgent })
    const again = await h.request('POST', `/api/deployments/${dep}/events`, { raw: raw('1772884800123456789'), headers: t.asAgent })
    expect([a.status, b.status, again.status]).toEqual([201, 201, 200])
    expect(again.body.id).toBe(a.body.id)
    const text = (await list()).text
    expect(text).toContain('"payload":{"ns":1772884800123456789,"small":72000}')
    expect(text).toContain('"payload":{"ns":1772884800123456790,"small":72000}')
  })

  test('chronological by event_timestamp, ties in arrival order, whatever the offsets', async () => {
    const ids: Record<string, string> = {}
    const plan: Array<[string, string]> = [
      ['c', '2026-03-07T12:00:02Z'],
      ['a', '2026-03-07T11:00:00Z'],
      ['b1', '2026-03-07T12:00:00Z'],
      ['b2', '2026-03-07T07:00:00-05:00'], // the same instant as b1, later arrival
      ['b3', '2026-03-07T12:00:00.000000Z'],
      ['d', '2026-03-07T12:00:02.000001Z'],
    ]
    for (const [name, timestamp] of plan) ids[name] = (await report(event('step.progress', timestamp, { payload: { name } }))).body.id
    const page = await list()
    expect(page.body.events.map((e: { payload: { name: string } }) => e.payload.name)).toEqual(['a', 'b1', 'b2', 'b3', 'c', 'd'])
    expect(page.body.total).toBe(6)
  })

  test('offset and limit page through; total counts all events', async () => {
    for (let i = 0; i < 7; i++) await report(event('step.progress', `2026-03-07T12:00:0${i}Z`, { payload: { i } }))
    const page = await list('?offset=2&limit=3')
    expect(page.body.events.map((e: { payload: { i: number } }) => e.payload.i)).toEqual([2, 3, 4])
    expect(page.body).toMatchObject({ total: 7, offset: 2, limit: 3 })
    expect((await list('?offset=10')).body).toMatchObject({ events: [], total: 7 })
    expect((await list('?limit=500&unknown=1')).body.events).toHaveLength(7)
  })

  test('deep pages (past offset 5000) continue the same order', async () => {
    const all: number[] = []
    for (let b = 0; b < 11; b++) {
      // Two events per instant, so ties must keep arrival order across page boundaries too.
      const events = Array.from({ length: 500 }, (_, i) => {
        const n = b * 500 + i
        return event('step.progress', new Date(Date.parse('2026-03-07T12:00:00Z') + Math.floor(n / 2) * 1000).toISOString(), { payload: { n } })
      })
      all.push(...events.map((e) => (e.payload as { n: number }).n))
      expect((await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: { events }, headers: t.asAgent })).status).toBe(200)
    }
    const seen: number[] = []
    for (let offset = 4500; offset < 5500; offset += 250) {
      const page = await list(`?offset=${offset}&limit=250`)
      seen.push(...page.body.events.map((e: { payload: { n: number } }) => e.payload.n))
    }
    expect(seen).toEqual(all.slice(4500, 5500))
  })

  test('a session may read events', async () => {
    await report(event('job.accepted'))
    expect((await list('', { cookie: t.cookie })).body.total).toBe(1)
  })
})

describe('transitions from events', () => {
  test('job.accepted → running (started_at), job.completed → completed (completed_at)', async () => {
    await report(event('job.accepted'))
    expect(await deployment()).toMatchObject({ status: 'running', started_at: '2026-03-07T12:00:01Z', completed_at: null, event_count: 1 })
    clock.advance(30)
    await report(event('job.completed', '2026-03-07T12:00:30Z'))
    expect(await deployment()).toMatchObject({ status: 'completed', started_at: '2026-03-07T12:00:01Z', completed_at: '2026-03-07T12:00:31Z', event_count: 2 })
  })

  test('job.completed straight from pending completes it (the agent may skip job.accepted)', async () => {
    await report(event('job.completed'))
    expect((await deployment()).status).toBe('completed')
  })

  test('job.failed → failed; later events are stored and answered 201 but change nothing', async () => {
    await report(event('job.failed'))
    const failed = await deployment()
    expect(failed).toMatchObject({ status: 'failed', completed_at: '2026-03-07T12:00:01Z' })
    clock.advance(10)
    for (const type of ['job.accepted', 'job.completed', 'step.progress']) expect((await report(event(type, '2026-03-07T12:00:09Z'))).status).toBe(201)
    expect(await deployment()).toMatchObject({ status: 'failed', completed_at: failed.completed_at, started_at: null, event_count: 4 })
  })

  test('events after a cancel are stored; the deployment stays cancelled', async () => {
    await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })
    expect((await report(event('job.completed'))).status).toBe(201)
    expect(await deployment()).toMatchObject({ status: 'cancelled', event_count: 1 })
  })
})

describe('retries and conflicts', () => {
  test('a retry of a stored event answers 200 with the first id and stores nothing', async () => {
    const first = await report({ type: 'step.completed', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', step_id: 's', payload: { b: 72000.0, a: 1 } })
    const retry = await h.request('POST', `/api/deployments/${dep}/events`, {
      raw: '{"payload":{"a":1,"b":72000},"step_id":"s","job_id":"j","timestamp":"2026-03-07T13:00:00+01:00","type":"step.completed"}',
      headers: t.asAgent,
    })
    expect(first.status).toBe(201)
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual({ id: first.body.id })
    expect((await list()).body.total).toBe(1)
    expect((await deployment()).event_count).toBe(1)
  })

  test('a retried job.completed does not move anything twice', async () => {
    await report(event('job.completed'))
    const completedAt = (await deployment()).completed_at
    clock.advance(60)
    expect((await report(event('job.completed'))).status).toBe(200)
    expect((await deployment()).completed_at).toBe(completedAt)
  })

  test('with Idempotency-Key, the key decides identity', async () => {
    const headers = { ...t.asAgent, 'idempotency-key': 'upload-7' }
    const a = await report(event('step.progress', undefined, { payload: { percent: 25 } }), headers)
    const b = await report(event('step.progress', undefined, { payload: { percent: 50 } }), headers)
    expect([a.status, b.status]).toEqual([201, 200])
    expect(b.body.id).toBe(a.body.id)
    const c = await report(event('step.progress', undefined, { payload: { percent: 25 } }), { ...t.asAgent, 'idempotency-key': 'upload-8' })
    expect(c.status).toBe(201)
    expect((await list()).body.total).toBe(2)
  })

  test('content stored under a key and the same content sent without one are two events; each is retried on its own', async () => {
    const body = event('step.progress', undefined, { payload: { percent: 25 } })
    const keyed = await report(body, { ...t.asAgent, 'idempotency-key': 'upload-9' })
    const plain = await report(body)
    expect([keyed.status, plain.status]).toEqual([201, 201])
    expect(plain.body.id).not.toBe(keyed.body.id)
    expect(await report(body)).toMatchObject({ status: 200, body: { id: plain.body.id } })
    expect(await report(body, { ...t.asAgent, 'idempotency-key': 'upload-9' })).toMatchObject({ status: 200, body: { id: keyed.body.id } })
    expect((await list()).body.total).toBe(2)
  })

  // SQLite-only: it deletes the user by hand in the file and reads SQLite's own tables (the event_key
  // join, the event_payloads side table) to check SQLite's trigger; PostgreSQL cascades by foreign key.
  test.skipIf(onPostgres)('deleting a user deletes their deployments’ events and no one else’s (a trigger: the events table has no foreign key)', async () => {
    const other = await createTenant(h, 'operator', 'sat-2')
    const theirs = await other.createDeployment('live')
    await report(event('job.accepted'))
    await report(event('job.accepted'), other.asAgent, theirs)
    const large = { payload: { log: 'x'.repeat(5000) } }
    await report(event('step.progress', undefined, large))
    await report(event('step.progress', undefined, large), other.asAgent, theirs)
    const db = new Database(h.dbPath)
    db.run('PRAGMA foreign_keys = ON')
    db.run('DELETE FROM users WHERE email = ?', [t.email])
    const left = db.query('SELECT d.id FROM events e LEFT JOIN deployments d ON d.event_key = e.deployment_key').values().flat()
    expect(left).toEqual([theirs, theirs])
    expect(db.query('SELECT count(*) AS n FROM event_payloads').values()).toEqual([[1]])
    db.close()
  })

  test('large payloads (kept apart from their row) are served verbatim and their retries recognised, in any key order', async () => {
    const note = 'é'.repeat(2000)
    const first = await report(event('step.progress', undefined, { payload: { a: 1, note, z: [1, 2] } }))
    const small = await report(event('step.progress', undefined, { payload: { a: 2 } }))
    const retry = await h.request('POST', `/api/deployments/${dep}/events`, {
      raw: JSON.stringify({ ...event('step.progress'), payload: { z: [1, 2], note, a: 1.0 } }),
      headers: t.asAgent,
    })
    expect([first.status, small.status, retry.status]).toEqual([201, 201, 200])
    expect(retry.body.id).toBe(first.body.id)
    const listed = (await list()).body
    expect(listed.total).toBe(2)
    expect(listed.events.map((e: { payload: unknown }) => e.payload)).toEqual([{ a: 1, note, z: [1, 2] }, { a: 2 }])
  })

  test('a simulated deployment refuses agent reports with 409', async () => {
    const sim = await t.createDeployment('simulated')
    const reply = await report(event('job.accepted'), t.asAgent, sim)
    expect(reply.status).toBe(409)
    expect(reply.body.code).toBe('CONFLICT')
  })

  test('a deployment dispatched to another agent refuses with 403; its own agent may report', async () => {
    // Another agent (registered for the plan's satellite) polls, and the deployment is dispatched to it.
    const other = { ...t.asKey, 'x-agent-id': 'sat-other' }
    expect((await h.request('POST', '/api/agent/register', { body: { agent_id: 'sat-other', satellite_id: '25544' }, headers: other })).status).toBe(201)
    const dispatched = await h.request('GET', '/api/agent/workloads', { headers: other })
    expect([dispatched.status, dispatched.body.deployment_id]).toEqual([200, dep])
    expect(await deployment()).toMatchObject({ status: 'dispatched', agent_id: 'sat-other' })
    const reply = await report(event('job.accepted'))
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('FORBIDDEN')
    expect((await report(event('job.accepted'), { ...t.asKey, 'x-agent-id': 'sat-other' })).status).toBe(201)
  })

  test('unknown or another user’s deployment is 404, for reports and lists', async () => {
    const other = await createTenant(h)
    expect((await report(event('job.accepted'), other.asAgent)).status).toBe(404)
    expect((await list('', other.asKey)).status).toBe(404)
    expect((await report(event('job.accepted'), t.asAgent, 'dep-nope')).status).toBe(404)
    expect((await list()).body.total).toBe(0)
  })

  test('precedence: a payload over 64 KiB is 413 even for an unknown deployment or with other bad fields', async () => {
    const big = { blob: 'x'.repeat(65 * 1024) }
    expect((await report({ ...event('job.accepted'), payload: big }, t.asAgent, 'dep-nope')).status).toBe(413)
    expect((await report({ type: 'BAD', payload: big })).status).toBe(413)
    expect((await h.request('POST', '/api/deployments/dep-nope/events/batch', { body: { events: [{ type: 'BAD' }, { ...event('a.b'), payload: big }] }, headers: t.asAgent })).status).toBe(413)
  })

  test('precedence: 404 and 409 win over a bad body', async () => {
    expect((await report({ type: 'BAD' }, t.asAgent, 'dep-nope')).status).toBe(404)
    const sim = await t.createDeployment('simulated')
    expect((await h.request('POST', `/api/deployments/${sim}/events`, { raw: '{not json', headers: t.asAgent })).status).toBe(409)
  })
})
