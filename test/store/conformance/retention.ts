// Conformance cases for retention (docs/operations.md "Retention"): which deployments' events are pruned,
// how many at a time and in which order, the last arrival kept (a later event takes the next number), the
// counters lowered with the rows, and the telemetry walk over agents in key order.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { parseEventInput, type EventInput } from '../../../src/domain/event'
import { eventSize } from '../../../src/domain/quota'
import { NO_EVENT_FILTER, type AgentRef, type Deployment, type Store } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, seedUser, T0, type Seeded } from './fixtures'

/** An event as a report carries it (the fixtures' eventInput names its type `event_type`, which the parser refuses). */
const event = (type: string, timestamp: number, payload: Record<string, unknown> = {}, stepId?: string): EventInput =>
  parseEventInput({ type, timestamp: new Date(timestamp / 1000).toISOString(), payload, ...(stepId ? { step_id: stepId } : {}) })

/** Stores the events in one report at `now`, as the server does; answers their arrival numbers. */
async function report(store: Store, deployment: Deployment, events: EventInput[], now: number): Promise<number[]> {
  const [outcome] = await recordInputs(store, [input(deployment, events, now)])
  if (!outcome!.ok) throw outcome!.error
  return outcome!.results.map((r) => r.arrival!)
}

/** A deployment with `logs` log events, then completed (a job.completed) at `completedAt`. */
async function completedWith(store: Store, seeded: Seeded, logs: number, completedAt: number): Promise<Deployment> {
  const deployment = await seedDeployment(store, seeded)
  const events = Array.from({ length: logs }, (_, i) => event('log.line', T0 + i * SECOND, { i }))
  await report(store, deployment, [...events, event('job.completed', T0 + logs * SECOND)], completedAt)
  return deployment
}

/** Prunes until nothing is left: every batch's deployment and count. */
async function pruneAll(store: Store, cutoff: number, limit: number): Promise<Array<{ deleted: number; deploymentId: string }>> {
  const batches: Array<{ deleted: number; deploymentId: string }> = []
  for (let i = 0; i < 100; i++) {
    const batch = await store.pruneDeploymentEvents(cutoff, limit)
    if (batch.deploymentId === null) return batches
    batches.push({ deleted: batch.deleted, deploymentId: batch.deploymentId })
  }
  throw new Error('pruning never ended')
}

const arrivals = async (store: Store, deploymentId: string) => (await store.listEventsByArrival(deploymentId, 0, 1000)).map((e) => e.arrival)

export function retentionCases(backend: Backend) {
  describe(`retention (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('only terminal deployments completed before the cutoff are pruned, each down to its last event', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const oldCompleted = await completedWith(store, seeded, 3, T0 + 10 * SECOND)
      const recent = await completedWith(store, seeded, 3, T0 + 100 * SECOND)
      const single = await completedWith(store, seeded, 0, T0 + 10 * SECOND)
      const live = await seedDeployment(store, seeded)
      await report(store, live, [event('log.line', T0), event('log.line', T0 + SECOND), event('job.accepted', T0 + 2 * SECOND)], T0 + 5 * SECOND)
      const pending = await seedDeployment(store, seeded)
      await report(store, pending, [event('log.line', T0), event('log.line', T0 + SECOND)], T0 + 5 * SECOND)
      const cancelled = await seedDeployment(store, seeded)
      await report(store, cancelled, [event('log.line', T0), event('log.line', T0 + SECOND)], T0 + 5 * SECOND)
      await store.cancelDeployment(seeded.user.id, cancelled.id, T0 + 20 * SECOND, null)

      const batches = await pruneAll(store, T0 + 50 * SECOND, 100)
      expect(batches.map((b) => b.deploymentId).sort()).toEqual([oldCompleted.id, cancelled.id].sort())
      expect(batches.find((b) => b.deploymentId === oldCompleted.id)!.deleted).toBe(3)
      expect(batches.find((b) => b.deploymentId === cancelled.id)!.deleted).toBe(1)
      const count = (d: Deployment) => store.getEventCount(seeded.user.id, d.id)
      expect(await count(oldCompleted)).toBe(1)
      expect(await count(cancelled)).toBe(1)
      expect(await count(recent)).toBe(4)
      expect(await count(single)).toBe(1)
      expect(await count(live)).toBe(3)
      expect(await count(pending)).toBe(2)
      expect(await arrivals(store, oldCompleted.id)).toEqual([4])
      expect(await store.pruneDeploymentEvents(T0 + 50 * SECOND, 100)).toEqual({ deleted: 0, deploymentId: null })

      expect(await pruneAll(store, T0 + 101 * SECOND, 100)).toEqual([{ deleted: 3, deploymentId: recent.id }])
      expect(await arrivals(store, recent.id)).toEqual([4])
    })

    test('a batch deletes at most `limit` of the oldest events by instant, never the last arrival, and lowers the counters by them', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const deployment = await seedDeployment(store, seeded)
      // Arrivals 1–5 at instants running backwards; the last arrival (6) is the oldest instant of all.
      const logs = [5, 4, 3, 2, 1].map((s, i) => event('log.line', T0 + s * SECOND, { i, text: 'xü'.repeat(10 * i) }, i % 2 ? 'step-1' : undefined))
      const last = event('job.completed', T0, { done: 'é' })
      expect(await report(store, deployment, [...logs, last], T0 + 10 * SECOND)).toEqual([1, 2, 3, 4, 5, 6])
      const bytes = await store.storedBytes(seeded.user.id)
      expect(bytes).toBe([...logs, last].reduce((sum, e) => sum + eventSize(e), 0))

      expect(await store.pruneDeploymentEvents(T0 + 60 * SECOND, 2)).toEqual({ deleted: 2, deploymentId: deployment.id })
      expect(await arrivals(store, deployment.id)).toEqual([1, 2, 3, 6])
      expect(await store.getEventCount(seeded.user.id, deployment.id)).toBe(4)
      expect(await store.storedBytes(seeded.user.id)).toBe(bytes - eventSize(logs[4]!) - eventSize(logs[3]!))
      // List order is unchanged for what is left.
      expect((await store.listEvents(deployment.id, { limit: 10 })).map((e) => e.arrival)).toEqual([6, 3, 2, 1])

      expect(await store.pruneDeploymentEvents(T0 + 60 * SECOND, 2)).toEqual({ deleted: 2, deploymentId: deployment.id })
      expect(await arrivals(store, deployment.id)).toEqual([1, 6])
      expect(await store.pruneDeploymentEvents(T0 + 60 * SECOND, 2)).toEqual({ deleted: 1, deploymentId: deployment.id })
      expect(await store.pruneDeploymentEvents(T0 + 60 * SECOND, 2)).toEqual({ deleted: 0, deploymentId: null })
      expect(await arrivals(store, deployment.id)).toEqual([6])
      expect(await store.getEventCount(seeded.user.id, deployment.id)).toBe(1)
      expect(await store.countEvents(deployment.id, NO_EVENT_FILTER)).toBe(1)
      expect(await store.storedBytes(seeded.user.id)).toBe(eventSize(last))
      expect(await store.lastArrival(deployment.id)).toBe(6)
    })

    test('the last arrival is kept: an event stored after pruning takes the next number', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const deployment = await completedWith(store, seeded, 4, T0 + 10 * SECOND)
      expect(await pruneAll(store, T0 + 60 * SECOND, 10)).toEqual([{ deleted: 4, deploymentId: deployment.id }])
      // A late event on a completed deployment is stored as late data (docs/api.md §2.1).
      expect(await report(store, deployment, [event('log.late', T0 + 70 * SECOND)], T0 + 70 * SECOND)).toEqual([6])
      expect(await arrivals(store, deployment.id)).toEqual([5, 6])
      expect(await store.lastArrival(deployment.id)).toBe(6)
      expect(await store.getEventCount(seeded.user.id, deployment.id)).toBe(2)
      const other = await opened.openAnother()
      expect(await other.listEventsByArrival(deployment.id, 5, 10)).toHaveLength(1)
      // Pruned again down to the new last arrival.
      expect(await pruneAll(store, T0 + 60 * SECOND, 10)).toEqual([{ deleted: 1, deploymentId: deployment.id }])
      expect(await arrivals(store, deployment.id)).toEqual([6])
      expect(await report(store, deployment, [event('log.late', T0 + 80 * SECOND)], T0 + 80 * SECOND)).toEqual([7])
    })

    test('two stores pruning at once delete each event once and keep the counters true', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      const seeded = await seedPlan(store)
      const deployments = [await completedWith(store, seeded, 12, T0 + 10 * SECOND), await completedWith(store, seeded, 9, T0 + 10 * SECOND)]
      let deleted = 0
      for (let round = 0; round < 50; round++) {
        const batches = await Promise.all([store, other, store, other].map((s) => s.pruneDeploymentEvents(T0 + 60 * SECOND, 2)))
        deleted += batches.reduce((sum, b) => sum + b.deleted, 0)
        if (batches.every((b) => b.deploymentId === null)) break
      }
      expect(deleted).toBe(21)
      for (const d of deployments) {
        expect(await store.getEventCount(seeded.user.id, d.id)).toBe(1)
        expect(await store.countEvents(d.id, NO_EVENT_FILTER)).toBe(1)
      }
      expect(await store.storedBytes(seeded.user.id)).toBe(2 * eventSize(event('job.completed', T0)))
    })

    test('pruneAgentTelemetry visits every agent in key order and deletes its samples received before the cutoff', async () => {
      const { store } = opened
      const [u1, u2] = [await seedUser(store), await seedUser(store)].sort((a, b) => (a.id < b.id ? -1 : 1))
      for (const [user, agent] of [[u2!, 'a'], [u1!, 'b'], [u1!, 'a']] as const)
        for (let i = 0; i < 5; i++) await store.recordTelemetry(user.id, agent, { json: `{"i":${i}}` }, T0 + i * SECOND)
      await store.touchAgent(u1!.id, 'silent', T0)
      const visits: Array<{ deleted: number; next: AgentRef | null }> = []
      let after: AgentRef | null = null
      do {
        const visit: { deleted: number; next: AgentRef | null } = await store.pruneAgentTelemetry(T0 + 3 * SECOND, after)
        visits.push(visit)
        after = visit.next
      } while (after !== null && visits.length < 10)
      expect(visits).toEqual([
        { deleted: 3, next: { userId: u1!.id, id: 'a' } },
        { deleted: 3, next: { userId: u1!.id, id: 'b' } },
        { deleted: 0, next: { userId: u1!.id, id: 'silent' } },
        { deleted: 3, next: { userId: u2!.id, id: 'a' } },
        { deleted: 0, next: null },
      ])
      for (const [user, agent] of [[u2!, 'a'], [u1!, 'b'], [u1!, 'a']] as const)
        expect((await store.listTelemetry(user.id, agent, { limit: 10, after: null })).map((s) => s.receivedAt)).toEqual([T0 + 4 * SECOND, T0 + 3 * SECOND])
      // The agents themselves stay.
      expect(await store.getAgent(u1!.id, 'silent')).not.toBeNull()
      expect(await store.pruneAgentTelemetry(T0 + 3 * SECOND, { userId: u2!.id, id: 'a' })).toEqual({ deleted: 0, next: null })
    })
  })
}
