import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PLAN_DATA, type FixedClock, type Harness } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

describe('missions and plans', () => {
  test('create, list and get with the documented shapes', async () => {
    const t = await createTenant(h)
    const mission = await h.request('GET', `/api/missions/${t.missionId}`, { headers: t.asKey })
    expect(mission.body).toEqual({ id: t.missionId, name: 'ISS ML Pipeline', description: null, created_at: '2026-03-07T12:00:00Z' })
    expect((await h.request('GET', '/api/missions', { headers: { cookie: t.cookie } })).body).toEqual({ missions: [mission.body] })
    const plan = await h.request('GET', `/api/plans/${t.planId}`, { headers: t.asKey })
    expect(plan.body).toEqual({
      id: t.planId,
      mission_id: t.missionId,
      label: 'On-Board ML Inference',
      satellite_id: '25544',
      satellite_name: null,
      preset: null,
      event_count: 3,
      created_at: '2026-03-07T12:00:00Z',
      archived_at: null,
      plan_data: PLAN_DATA,
    })
    const list = await h.request('GET', `/api/plans?mission_id=${t.missionId}`, { headers: t.asKey })
    const { plan_data: _, ...listed } = plan.body
    expect(list.body).toEqual({ plans: [listed] })
    expect((await h.request('GET', '/api/plans?mission_id=mis-other', { headers: t.asKey })).body).toEqual({ plans: [] })
  })

  test('a plan for another user’s mission is 404, and so is reading it', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    const reply = await h.request('POST', '/api/plans', { body: { mission_id: a.missionId, label: 'x', satellite_id: '1', plan_data: PLAN_DATA }, headers: b.asKey })
    expect(reply.status).toBe(404)
    expect((await h.request('GET', `/api/plans/${a.planId}`, { headers: b.asKey })).status).toBe(404)
    expect((await h.request('GET', `/api/missions/${a.missionId}`, { headers: b.asKey })).status).toBe(404)
  })

  test.each([
    [{ events: [] }, 'plan_data.events'],
    [{}, 'plan_data.events'],
    [[], 'plan_data'],
    [{ events: [{ type: 'Job', timestamp_s: 0 }] }, 'plan_data.events[0].type'],
    [{ events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'job.completed' }] }, 'plan_data.events[1].timestamp_s'],
    [{ events: [{ type: 'job.accepted', timestamp_s: -1 }] }, 'plan_data.events[0].timestamp_s'],
    [{ events: [{ type: 'job.accepted', timestamp_s: '0' }] }, 'plan_data.events[0].timestamp_s'],
  ])('plan_data %j is refused naming %s', async (planData, field) => {
    const t = await createTenant(h)
    const reply = await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'x', satellite_id: '1', plan_data: planData }, headers: t.asKey })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith(`${field}:`)
    expect((await h.request('GET', '/api/plans', { headers: t.asKey })).body.plans).toHaveLength(1)
  })
})

describe('deployments', () => {
  test('create answers 201 {id, status: pending}; the item has every compat field', async () => {
    const t = await createTenant(h)
    const created = await h.request('POST', '/api/deployments', { body: { plan_id: t.planId, mode: 'live' }, headers: t.asKey })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ id: expect.stringMatching(/^dep-[0-9a-z]{26}$/), status: 'pending' })
    const list = await h.request('GET', '/api/deployments', { headers: { cookie: t.cookie } })
    expect(list.body).toEqual({
      deployments: [
        {
          id: created.body.id,
          mission_id: t.missionId,
          plan_id: t.planId,
          satellite_id: '25544',
          status: 'pending',
          mode: 'live',
          speed_multiplier: 100,
          started_at: null,
          completed_at: null,
          created_at: '2026-03-07T12:00:00Z',
          mission_name: 'ISS ML Pipeline',
          sat_norad_id: '25544',
          plan_label: 'On-Board ML Inference',
          agent_id: null,
          dispatched_at: null,
          event_count: 0,
          // Ours (docs/api.md §2 "Archiving").
          archived_at: null,
        },
      ],
    })
    expect((await h.request('GET', `/api/deployments/${created.body.id}`, { headers: t.asKey })).body).toEqual(list.body.deployments[0])
  })

  test('mode defaults to simulated and speed_multiplier to 100', async () => {
    const t = await createTenant(h)
    const id = (await h.request('POST', '/api/deployments', { body: { plan_id: t.planId, speed_multiplier: 2.5 }, headers: t.asKey })).body.id
    const item = (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body
    expect(item.mode).toBe('simulated')
    expect(item.speed_multiplier).toBe(2.5)
  })

  test('the list holds the 50 most recent, newest first', async () => {
    const t = await createTenant(h)
    const ids: string[] = []
    for (let i = 0; i < 55; i++) {
      ids.push(await t.createDeployment('live'))
      if (i % 2) clock.advance(1) // some share a timestamp: insertion order still decides
    }
    const list = (await h.request('GET', '/api/deployments', { headers: t.asKey })).body.deployments
    expect(list.map((d: { id: string }) => d.id)).toEqual(ids.reverse().slice(0, 50))
  })

  test.each([
    [{ plan_id: 'P', speed_multiplier: 0 }, 'speed_multiplier'],
    [{ plan_id: 'P', speed_multiplier: -1 }, 'speed_multiplier'],
    [{ plan_id: 'P', speed_multiplier: 10001 }, 'speed_multiplier'],
    [{ plan_id: 'P', speed_multiplier: '5' }, 'speed_multiplier'],
    [{ plan_id: 'P', mode: 'hybrid' }, 'mode'],
    [{}, 'plan_id'],
    [{ plan_id: 5 }, 'plan_id'],
  ])('%j is refused naming %s, nothing stored', async (body, field) => {
    const t = await createTenant(h)
    const reply = await h.request('POST', '/api/deployments', { body: JSON.parse(JSON.stringify(body).replace('"P"', JSON.stringify(t.planId))), headers: t.asKey })
    expect(reply.status).toBe(400)
    expect(reply.body.error).toStartWith(`${field}:`)
    expect((await h.request('GET', '/api/deployments', { headers: t.asKey })).body.deployments).toEqual([])
  })

  test('another user’s plan is 404 even with a bad body; their deployment is 404', async () => {
    const a = await createTenant(h)
    const b = await createTenant(h)
    expect((await h.request('POST', '/api/deployments', { body: { plan_id: a.planId, speed_multiplier: -1 }, headers: b.asKey })).status).toBe(404)
    const dep = await a.createDeployment()
    expect((await h.request('GET', `/api/deployments/${dep}`, { headers: b.asKey })).status).toBe(404)
    expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: b.asKey })).status).toBe(404)
    expect((await h.request('GET', '/api/deployments', { headers: b.asKey })).body.deployments).toEqual([])
  })

  test('cancel: 200 from pending, sets completed_at; 409 once terminal', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    clock.advance(5)
    const reply = await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ id: dep, status: 'cancelled' })
    const item = (await h.request('GET', `/api/deployments/${dep}`, { headers: t.asKey })).body
    expect(item.completed_at).toBe('2026-03-07T12:00:05Z')
    const again = await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: t.asKey })
    expect(again.status).toBe(409)
    expect(again.body).toEqual({ error: 'deployment is already cancelled', code: 'CONFLICT' })
  })
})
