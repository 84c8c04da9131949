// Conformance cases for handing deployments to agents (Store.dispatchNext) and for replays: the oldest
// pending live deployment of the agent's satellites first, never a simulated one nor another user's, an
// unbuildable workload leaving it as it was, two stores polling at once never handing one out twice; and
// the replays of simulated deployments, leased to the node that plays them (docs/postgres.md "Replays").
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { parseEventInput } from '../../../src/domain/event'
import { newId } from '../../../src/domain/ids'
import type { Deployment, DeploymentChange, DispatchResult, ReplayState, Store } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, T0, type Seeded } from './fixtures'

/** What the tests' workloads are: the deployment as prepare saw it, and the plan data it was given. */
type Workload = { deployment: Deployment; planData: string }
const build = (deployment: Deployment, planData: string): Workload => ({ deployment, planData })

const poll = (store: Store, seeded: Seeded, agentId = 'agent-1', satellites = ['sat-1'], now = T0 + 100) =>
  store.dispatchNext(seeded.user.id, agentId, satellites, now, build)

const dispatchedId = (result: DispatchResult<Workload>) => (result.kind === 'dispatched' ? result.change.deployment.id : null)

/** A simulated deployment inserted already started, its replay active (as src/services/deployments.ts creates one). */
async function insertReplay(store: Store, seeded: Seeded, createdAt = T0): Promise<Deployment> {
  const change = await store.insertDeployment({
    id: newId('deployment'),
    userId: seeded.user.id,
    missionId: seeded.missionId,
    planId: seeded.planId,
    satelliteId: seeded.satelliteId,
    status: 'running',
    mode: 'simulated',
    speedMultiplier: 4,
    agentId: null,
    createdAt,
    dispatchedAt: null,
    startedAt: createdAt,
    completedAt: null,
    eventCount: 0,
    replayActive: true,
  })
  return change.deployment
}

const replayIds = (states: Array<{ id: string }>) => states.map((state) => state.id).sort()

export function dispatchCases(backend: Backend) {
  describe(`dispatch (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('the oldest pending live deployment goes first, dispatched to the agent, with its plan data; then none', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      expect(await poll(store, seeded)).toEqual({ kind: 'none' })
      const newer = await seedDeployment(store, seeded, { createdAt: T0 + 2 })
      const older = await seedDeployment(store, seeded, { createdAt: T0 + 1 })
      const durable: DeploymentChange[] = []
      const first = await store.dispatchNext(seeded.user.id, 'agent-1', ['sat-1'], T0 + 100, build, (c) => durable.push(c))
      const dispatched = { ...older, status: 'dispatched' as const, agentId: 'agent-1', dispatchedAt: T0 + 100 }
      expect(first).toEqual({ kind: 'dispatched', value: { deployment: dispatched, planData: JSON.stringify({ events: [] }) }, change: { seq: 3, deployment: dispatched } })
      expect(durable).toEqual([(first as { change: DeploymentChange }).change])
      expect(await store.getDeployment(seeded.user.id, older.id)).toEqual(dispatched)
      expect(await store.listDeploymentChanges(seeded.user.id, 2, 10)).toEqual([{ seq: 3, deployment: dispatched }])
      expect(dispatchedId(await poll(store, seeded, 'agent-2'))).toBe(newer.id)
      expect(await poll(store, seeded)).toEqual({ kind: 'none' })
      expect(await store.lastChangeSeq(seeded.user.id)).toBe(4)
    })

    test('only the agent’s satellites, never a simulated, cancelled or another user’s deployment', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const stranger = await seedPlan(store)
      await seedDeployment(store, stranger, { createdAt: T0 - 5 })
      await seedDeployment(store, seeded, { createdAt: T0 - 4, mode: 'simulated' })
      const cancelled = await seedDeployment(store, seeded, { createdAt: T0 - 3 })
      await store.cancelDeployment(seeded.user.id, cancelled.id, T0, null)
      const sat2 = await seedDeployment(store, seeded, { createdAt: T0 - 2, satelliteId: 'sat-2' })
      const sat1 = await seedDeployment(store, seeded, { createdAt: T0 - 1 })
      expect(dispatchedId(await poll(store, seeded, 'agent-1', ['sat-3']))).toBeNull()
      expect(dispatchedId(await poll(store, seeded, 'agent-1', []))).toBeNull()
      expect(dispatchedId(await poll(store, seeded, 'agent-1', ['sat-1']))).toBe(sat1.id)
      expect(dispatchedId(await poll(store, seeded, 'agent-1', ['sat-1']))).toBeNull()
      expect(dispatchedId(await poll(store, seeded, 'agent-2', ['sat-3', 'sat-2']))).toBe(sat2.id)
      expect(dispatchedId(await poll(store, seeded, 'agent-2', ['sat-1', 'sat-2']))).toBeNull()
      // The stranger's is still pending for its owner.
      expect(dispatchedId(await poll(store, stranger, 'agent-9', ['sat-1']))).not.toBeNull()
    })

    test('an unbuildable workload leaves the deployment pending and the sequence as it was', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const d = await seedDeployment(store, seeded)
      const boom = new Error('cannot build')
      const durable: DeploymentChange[] = []
      const result = await store.dispatchNext(seeded.user.id, 'agent-1', ['sat-1'], T0 + 100, () => {
        throw boom
      }, (c) => durable.push(c))
      expect(result).toEqual({ kind: 'unbuildable', deployment: d, error: boom })
      expect(durable).toEqual([])
      expect(await store.getDeployment(seeded.user.id, d.id)).toEqual(d)
      expect(await store.lastChangeSeq(seeded.user.id)).toBe(1)
      expect(dispatchedId(await poll(store, seeded))).toBe(d.id)
    })

    test('two stores polling at once hand each deployment out exactly once', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      const seeded = await seedPlan(store)
      const made = new Set<string>()
      for (let i = 0; i < 16; i++) made.add((await seedDeployment(store, seeded, { createdAt: T0 + (i % 5) })).id)
      const handed: string[] = []
      for (let round = 0; round < 40; round++) {
        const results = await Promise.all([poll(store, seeded, 'agent-a'), poll(other, seeded, 'agent-b'), poll(store, seeded, 'agent-c'), poll(other, seeded, 'agent-d')])
        const got = results.map(dispatchedId).filter((id): id is string => id !== null)
        handed.push(...got)
        if (got.length === 0) break
      }
      expect(handed.length).toBe(made.size)
      expect(new Set(handed)).toEqual(made)
      const changes = await store.listDeploymentChanges(seeded.user.id, 16, 100)
      expect(changes.map((change) => change.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 17))
      expect(changes.every((change) => change.deployment.status === 'dispatched')).toBe(true)
    })

    test('an active replay is listed by every store; a cancelled one by none', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const replay = await insertReplay(store, seeded)
      const other = await opened.openAnother()
      const expected: ReplayState = { id: replay.id, userId: seeded.user.id, planId: seeded.planId, status: 'running', startedAt: T0, speedMultiplier: 4, replayCursor: 0, replayActive: true }
      expect(await store.listActiveReplays()).toEqual([expected])
      expect(await other.listActiveReplays()).toEqual([expected])
      await store.cancelDeployment(seeded.user.id, replay.id, T0 + SECOND, null)
      expect(await other.listActiveReplays()).toEqual([])
      expect(await store.leaseReplays(T0 + 100 * SECOND, T0 + 106 * SECOND)).toEqual([])
      expect(await other.leaseReplays(T0 + 100 * SECOND, T0 + 106 * SECOND)).toEqual([])
    })

    test('a replay stays with the store that created it while its lease holds, and goes to another once it ran out', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const replay = await insertReplay(store, seeded)
      const other = await opened.openAnother()
      // One node (SQLite) plays every replay: there is no lease (Store.leaseReplays).
      const leased = backend.name === 'sqlite'
      expect(replayIds(await store.leaseReplays(T0 + SECOND, T0 + 7 * SECOND))).toEqual([replay.id])
      expect(replayIds(await other.leaseReplays(T0 + 2 * SECOND, T0 + 8 * SECOND))).toEqual(leased ? [replay.id] : [])
      // Renewed by its node, until 7 s: still its own at 6 s.
      expect(replayIds(await other.leaseReplays(T0 + 6 * SECOND, T0 + 12 * SECOND))).toEqual(leased ? [replay.id] : [])
      expect(replayIds(await store.leaseReplays(T0 + 6 * SECOND, T0 + 12 * SECOND))).toEqual([replay.id])
      // Its node stops renewing: past 12 s another takes it, and then holds it.
      const taken = await other.leaseReplays(T0 + 13 * SECOND, T0 + 19 * SECOND)
      expect(taken).toEqual([{ id: replay.id, userId: seeded.user.id, planId: seeded.planId, status: 'running', startedAt: T0, speedMultiplier: 4, replayCursor: 0, replayActive: true }])
      expect(replayIds(await store.leaseReplays(T0 + 14 * SECOND, T0 + 20 * SECOND))).toEqual(leased ? [replay.id] : [])
      expect(replayIds(await other.leaseReplays(T0 + 15 * SECOND, T0 + 21 * SECOND))).toEqual([replay.id])
    })

    test('two stores leasing at once never both take a replay whose lease ran out', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const made = new Set<string>()
      for (let i = 0; i < 6; i++) made.add((await insertReplay(store, seeded, T0 + i)).id)
      const [a, b] = [await opened.openAnother(), await opened.openAnother()]
      const [fromA, fromB] = await Promise.all([a.leaseReplays(T0 + 60 * SECOND, T0 + 66 * SECOND), b.leaseReplays(T0 + 60 * SECOND, T0 + 66 * SECOND)])
      if (backend.name === 'sqlite') {
        expect(new Set(replayIds(fromA))).toEqual(made)
        expect(new Set(replayIds(fromB))).toEqual(made)
      } else {
        expect(fromA.length + fromB.length).toBe(made.size)
        expect(new Set([...replayIds(fromA), ...replayIds(fromB)])).toEqual(made)
      }
    })

    test('a replay whose last plan event is stored is no longer active nor leased', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const replay = await insertReplay(store, seeded)
      const [outcome] = await recordInputs(store, [{ ...input(replay, [parseEventInput({ type: 'telemetry.sample', timestamp: '2026-03-07T12:00:00Z', payload: {} })], T0 + 1, { kind: 'replay' }), replay: { cursor: 1, finished: true } }])
      expect(outcome!.ok).toBe(true)
      expect((await store.getDeployment(seeded.user.id, replay.id))!.status).toBe('completed')
      expect(await store.listActiveReplays()).toEqual([])
      expect(await store.leaseReplays(T0 + 100 * SECOND, T0 + 106 * SECOND)).toEqual([])
      const other = await opened.openAnother()
      expect(await other.leaseReplays(T0 + 100 * SECOND, T0 + 106 * SECOND)).toEqual([])
    })
  })
}
