// A poll that finds an unbuildable deployment fails it with a server job.failed; if the operator cancels it
// in between, the refused failure does not escape: the agent's poll still answers 204 or 200.
import { expect, test } from 'bun:test'
import { newId } from '../../src/domain/ids'
import { createHarness, createTenant, fixedClock } from '../helpers'

test('a poll racing a cancel of an unbuildable deployment still answers 204 or 200', async () => {
  const clock = fixedClock('2026-03-07T12:00:00Z')
  const h = createHarness({ clock })
  try {
    const t = await createTenant(h)
    const user = (await h.store.getUserByEmail(t.email))!.id
    const planId = newId('plan')
    await h.store.insertPlan({ id: planId, userId: user, missionId: t.missionId, label: 'old', satelliteId: '25544', satelliteName: null, preset: null, planData: `{"events":[{"type":"job.accepted","timestamp_s":0,"d":${'['.repeat(100) + ']'.repeat(100)}}]}`, eventCount: 1, createdAt: clock() })
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const bad = (await h.request('POST', '/api/deployments', { body: { plan_id: planId, mode: 'live' }, headers: t.asKey })).body.id
      const [poll] = await Promise.all([
        h.request('GET', '/api/agent/workloads', { headers: t.asAgent }),
        (async () => {
          for (let k = 0; k < i % 5; k++) await Promise.resolve()
          return h.request('POST', `/api/deployments/${bad}/cancel`, { headers: t.asKey })
        })(),
      ])
      statuses.push(poll.status)
      if (poll.status !== 204) console.log(poll.status, poll.text)
    }
    expect(statuses.filter((s) => s !== 204 && s !== 200)).toEqual([])
  } finally {
    await h.close()
  }
})
