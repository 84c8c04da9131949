// The simulated replay on the real clock, in process: timing, mission time, the same ingestion rules.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import examplePlan from '../../src/examples/onboard-ml-inference.json'
import { parseTimestamp } from '../../src/domain/time'
import { createHarness, createTenant, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
})
afterEach(() => h.close())

async function createSimulated(planData: unknown, speed: number) {
  const plan = await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'sim', satellite_id: '25544', plan_data: planData }, headers: t.asKey })
  const created = await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, speed_multiplier: speed }, headers: t.asKey })
  expect(created.body.status).toBe('pending')
  return created.body.id as string
}
const get = async (id: string) => (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body
const eventsOf = async (id: string) => (await h.request('GET', `/api/deployments/${id}/events?limit=500`, { headers: t.asKey })).body
async function waitFor(id: string, status: string, ms = 10_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const d = await get(id)
    if (d.status === status) return d
    await Bun.sleep(20)
  }
  throw new Error(`deployment ${id} did not reach ${status}: ${JSON.stringify(await get(id))}`)
}

describe('simulated replay', () => {
  test('plays the plan: running at once, each event at started_at + timestamp_s/speed, mission-time timestamps', async () => {
    const plan = { events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'step.started', timestamp_s: 3, step_id: 's1', message: 'go' }, { type: 'job.completed', timestamp_s: 6, ok: true }] }
    const id = await createSimulated(plan, 10) // 0.6 s of wall time
    const running = await get(id)
    expect(running.status).toBe('running')
    const done = await waitFor(id, 'completed')
    const { events, total } = await eventsOf(id)
    expect(total).toBe(3)
    const started = parseTimestamp(done.started_at)!
    expect(events.map((e: { event_timestamp: string }) => parseTimestamp(e.event_timestamp)! - started)).toEqual([0, 3_000_000, 6_000_000])
    expect(events[1]).toMatchObject({ event_type: 'step.started', step_id: 's1', job_id: id, payload: { message: 'go' } })
    expect(events[2].payload).toEqual({ ok: true })
    // Stored at its wall-clock due time: created_at ≈ started_at + timestamp_s / speed (within about a second).
    const lag = events.map((e: { created_at: string }, i: number) => (parseTimestamp(e.created_at)! - started) / 1e6 - [0, 0.3, 0.6][i]!)
    for (const l of lag) expect(l).toBeGreaterThanOrEqual(0)
    for (const l of lag) expect(l).toBeLessThan(1)
    expect(done.completed_at).not.toBeNull()
  })

  test('job.failed in the plan fails the deployment; a plan without an ending completes after its last event', async () => {
    const failing = await createSimulated({ events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'job.failed', timestamp_s: 1 }] }, 100)
    const open = await createSimulated({ events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'step.progress', timestamp_s: 1, percent: 50 }] }, 100)
    expect((await waitFor(failing, 'failed')).event_count).toBe(2)
    expect((await waitFor(open, 'completed')).event_count).toBe(2)
  })

  test('plan events after job.completed are still stored; nothing is doubled', async () => {
    const id = await createSimulated({ events: [{ type: 'job.completed', timestamp_s: 0 }, { type: 'late.telemetry', timestamp_s: 0.5 }] }, 10)
    await waitFor(id, 'completed')
    await Bun.sleep(200)
    expect((await eventsOf(id)).events.map((e: { event_type: string }) => e.event_type)).toEqual(['job.completed', 'late.telemetry'])
  })

  test('after a restart, plan events after job.completed are still played', async () => {
    const id = await createSimulated({ events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'job.completed', timestamp_s: 1 }, { type: 'late.downlink', timestamp_s: 60 }] }, 100)
    await waitFor(id, 'completed') // 2 of 3 events stored, the third due 0.6 s after the start
    h.restart()
    await h.app.services.replay.resume()
    expect(h.app.services.replay.activeCount).toBe(1)
    const deadline = Date.now() + 5000
    let count = 0
    // A commit is readable a moment before its flush ends and the scheduler hears of it: wait for both.
    while (Date.now() < deadline && (count < 3 || h.app.services.replay.activeCount > 0)) {
      await Bun.sleep(50)
      count = (await get(id)).event_count
    }
    expect(count).toBe(3)
    expect(h.app.services.replay.activeCount).toBe(0)
  })

  test('cancel stops the replay', async () => {
    const id = await createSimulated({ events: [{ type: 'job.accepted', timestamp_s: 0 }, { type: 'step.progress', timestamp_s: 100 }, { type: 'job.completed', timestamp_s: 200 }] }, 100)
    await Bun.sleep(100)
    expect((await h.request('POST', `/api/deployments/${id}/cancel`, { headers: t.asKey })).status).toBe(200)
    await Bun.sleep(2_200)
    expect(await get(id)).toMatchObject({ status: 'cancelled', event_count: 1 })
    expect(h.app.services.replay.activeCount).toBe(0)
  })

  test('hundreds at once all complete, every plan event once', async () => {
    const plan = await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'ML', satellite_id: '25544', plan_data: examplePlan }, headers: t.asKey })
    const ids: string[] = []
    for (let i = 0; i < 300; i++)
      ids.push((await h.request('POST', '/api/deployments', { body: { plan_id: plan.body.id, speed_multiplier: 2000 }, headers: t.asKey })).body.id)
    await waitFor(ids.at(-1)!, 'completed', 20_000)
    const all = (await h.request('GET', '/api/deployments', { headers: t.asKey })).body.deployments as Array<{ status: string; event_count: number }>
    expect(all).toHaveLength(50)
    for (const d of all) expect(d).toMatchObject({ status: 'completed', event_count: examplePlan.events.length })
    for (const id of ids.slice(0, 250)) expect(await get(id)).toMatchObject({ status: 'completed', event_count: examplePlan.events.length })
  })
})
