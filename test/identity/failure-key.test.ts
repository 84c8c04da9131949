// The server's job.failed for an unbuildable plan is keyed with a key no agent can send (it holds a space;
// Idempotency-Key is visible ASCII): an agent report that used 'server:failed' first cannot take its place,
// so the deployment is failed and the satellite's queue goes on.
import { expect, test } from 'bun:test'
import { newId } from '../../src/domain/ids'
import { createHarness, createTenant, fixedClock } from '../helpers'

test('an unbuildable live plan never blocks the queue, whatever keys agents used', async () => {
  const clock = fixedClock('2026-03-07T12:00:00Z')
  const h = createHarness({ clock })
  try {
    const t = await createTenant(h)
    const user = (await h.store.getUserByEmail(t.email))!.id
    const planId = newId('plan')
    const deep = '['.repeat(100) + ']'.repeat(100)
    await h.store.insertPlan({ id: planId, userId: user, missionId: t.missionId, label: 'old', satelliteId: '25544', satelliteName: null, preset: null, planData: `{"events":[{"type":"job.accepted","timestamp_s":0,"d":${deep}}]}`, eventCount: 1, createdAt: clock() })
    const bad = (await h.request('POST', '/api/deployments', { body: { plan_id: planId, mode: 'live' }, headers: t.asKey })).body.id
    // Any agent of the tenant may report to a pending deployment; this one happens to use the key.
    const early = await h.request('POST', `/api/deployments/${bad}/events`, {
      body: { type: 'agent.note', timestamp: '2026-03-07T12:00:00Z' },
      headers: { ...t.asAgent, 'idempotency-key': 'server:failed' },
    })
    expect(early.status).toBe(201)
    clock.advance(1)
    const good = await t.createDeployment('live')
    const poll = await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })
    const status = (await h.request('GET', `/api/deployments/${bad}`, { headers: t.asKey })).body.status

    expect(status).toBe('failed')
    expect(poll.status).toBe(200)
    expect(poll.body.deployment_id).toBe(good)
  } finally {
    await h.close()
  }
})
