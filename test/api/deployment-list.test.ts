// GET /api/deployments filters and paging (docs/api.md §0 "Lists", §2; docs/lists.md): status as a comma list,
// mode, mission_id, satellite_id; the compat page of 50 without parameters; cursors valid only with their
// filters; bad values 400 naming the parameter. The paging walk itself is in lists.test.ts.
import { describe, expect, test } from 'bun:test'
import { createTenant, event, harnessPerTest, PLAN_DATA, type Harness, type Reply, type Tenant } from '../helpers'

let h: Harness
harnessPerTest((harness) => {
  h = harness
})

const get = (query: string, t: Tenant) => h.request('GET', `/api/deployments${query}`, { headers: t.asKey })
const ids = (reply: Reply): string[] => reply.body.deployments.map((d: { id: string }) => d.id)
const expectRefused = (reply: Reply, field: string) => {
  expect(reply.status).toBe(400)
  expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field}: `)), code: 'VALIDATION' })
}

/** One deployment in each status, plus a second mission whose plan is for another satellite. */
async function seedStatuses(t: Tenant) {
  const report = (dep: string, type: string) => h.request('POST', `/api/deployments/${dep}/events`, { body: event(type), headers: t.asAgent })
  const pending = await t.createDeployment('live')
  const cancelled = await t.createDeployment('live')
  await h.request('POST', `/api/deployments/${cancelled}/cancel`, { headers: t.asKey })
  const running = await t.createDeployment('live')
  await report(running, 'job.accepted')
  const completed = await t.createDeployment('live')
  await report(completed, 'job.completed')
  const failed = await t.createDeployment('live')
  await report(failed, 'job.failed')
  const dispatched = await t.createDeployment('live')
  // The oldest pending live deployment goes to the polling agent: `pending` itself.
  const poll = await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
  expect(poll.body.deployment_id).toBe(pending)
  const simulated = await t.createDeployment('simulated')
  const mission = (await h.request('POST', '/api/missions', { body: { name: 'second' }, headers: t.asKey })).body.id
  const plan = (await h.request('POST', '/api/plans', { body: { mission_id: mission, label: 'p', satellite_id: '43013', plan_data: PLAN_DATA }, headers: t.asKey })).body.id
  const elsewhere = (await h.request('POST', '/api/deployments', { body: { plan_id: plan, mode: 'live' }, headers: t.asKey })).body.id
  return { dispatchedFirst: pending, cancelled, running, completed, failed, pendingLive: dispatched, simulated, elsewhere, mission }
}

describe('GET /api/deployments filters', () => {
  test('status (one or a comma list), mode, mission_id and satellite_id, alone and together; newest first', async () => {
    const t = await createTenant(h)
    const s = await seedStatuses(t)
    expect(ids(await get('?status=dispatched', t))).toEqual([s.dispatchedFirst])
    expect(ids(await get('?status=cancelled', t))).toEqual([s.cancelled])
    expect(ids(await get('?status=completed,failed', t))).toEqual([s.failed, s.completed])
    expect(ids(await get('?status=failed,completed,failed', t))).toEqual([s.failed, s.completed])
    expect(ids(await get('?status=running', t))).toEqual([s.simulated, s.running])
    expect(ids(await get('?status=pending', t))).toEqual([s.elsewhere, s.pendingLive])
    expect(ids(await get('?mode=simulated', t))).toEqual([s.simulated])
    expect(ids(await get('?status=running&mode=live', t))).toEqual([s.running])
    expect(ids(await get(`?mission_id=${s.mission}`, t))).toEqual([s.elsewhere])
    expect(ids(await get('?satellite_id=43013', t))).toEqual([s.elsewhere])
    expect(ids(await get(`?satellite_id=25544&mission_id=${t.missionId}&status=pending`, t))).toEqual([s.pendingLive])
    // A mission or satellite that is not the caller's (or not at all) lists nothing; empty is no filter.
    expect(ids(await get('?mission_id=mis-nope', t))).toEqual([])
    expect(ids(await get('?satellite_id=nope', t))).toEqual([])
    expect(ids(await get('?mission_id=&satellite_id=', t))).toEqual(ids(await get('', t)))
    expect(ids(await get('', t))).toHaveLength(8)
  })

  test('another user’s deployments never match, whatever the filter', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    await a.createDeployment('live')
    expect(ids(await get('?status=pending', b))).toEqual([])
    expect(ids(await get(`?mission_id=${a.missionId}`, b))).toEqual([])
  })

  test.each([
    ['status', ['', 'Running', 'running,', ',running', 'running,,failed', 'running failed', 'done', 'running%2Cbogus']],
    ['mode', ['', 'LIVE', 'live,simulated', 'sim']],
    ['limit', ['0', '501', '-1', '1.5', '', 'x']],
    ['cursor', ['', 'zzz', 'A'.repeat(513)]],
  ])('%s: bad values are 400 naming it', async (name, values) => {
    const t = await createTenant(h)
    for (const value of values) expectRefused(await get(`?${name}=${value}`, t), name)
  })

  test('without parameters: the 50 most recent (compat), now with next_cursor; limit up to 500', async () => {
    const t = await createTenant(h)
    const made: string[] = []
    for (let i = 0; i < 60; i++) made.push(await t.createDeployment('live'))
    const first = await get('', t)
    expect(ids(first)).toEqual(made.toReversed().slice(0, 50))
    expect(Object.keys(first.body)).toEqual(['deployments', 'next_cursor'])
    const rest = await get(`?cursor=${first.body.next_cursor}`, t)
    expect(ids(rest)).toEqual(made.toReversed().slice(50))
    expect(Object.keys(rest.body)).toEqual(['deployments'])
    expect(ids(await get('?limit=500', t))).toEqual(made.toReversed())
  })

  test('a filtered walk reads each match once; a cursor works only with its own filters (status order and repeats do not matter)', async () => {
    const t = await createTenant(h)
    const live: string[] = []
    for (let i = 0; i < 7; i++) {
      live.push(await t.createDeployment('live'))
      await t.createDeployment('simulated')
    }
    const seen: string[] = []
    let reply = await get('?mode=live&status=pending,running&limit=3', t)
    seen.push(...ids(reply))
    while (reply.body.next_cursor) {
      reply = await get(`?mode=live&status=running,pending,running&limit=3&cursor=${reply.body.next_cursor}`, t)
      seen.push(...ids(reply))
    }
    expect(seen).toEqual(live.toReversed())
    const cursor = (await get('?mode=live&limit=3', t)).body.next_cursor
    expectRefused(await get(`?cursor=${cursor}`, t), 'cursor')
    expectRefused(await get(`?mode=simulated&cursor=${cursor}`, t), 'cursor')
    expectRefused(await get(`?mode=live&status=pending&cursor=${cursor}`, t), 'cursor')
    expectRefused(await get(`?mode=live&offset=0&cursor=${cursor}`, t), 'cursor')
    expect((await get(`?mode=live&cursor=${cursor}`, t)).status).toBe(200)
  })
})
