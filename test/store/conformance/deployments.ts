// Conformance cases for deployments: reading them back (only for their owner), newest-first pages through
// rows of one instant and every filter of the list, cancelling and archiving (docs/api.md §2.2) with their
// errors, and the owner's change sequence (docs/api.md §3.3) that every change moves, as another store on
// the same database sees it.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { AuditEntry } from '../../../src/domain/audit'
import { parseEventInput } from '../../../src/domain/event'
import { newId } from '../../../src/domain/ids'
import type { DeploymentMode, DeploymentStatus } from '../../../src/domain/deployment'
import { NO_DEPLOYMENT_FILTER, type Deployment, type DeploymentChange, type DeploymentPage, type SortKey, type Store } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, T0, type Seeded } from './fixtures'

/** (created_at DESC, id DESC) with ids compared bytewise, as JavaScript compares ASCII. */
const newestFirst = (a: SortKey, b: SortKey) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** Every page of the user's list with these filters, `limit` rows at a time, following each page's last row. */
async function listAll(store: Store, userId: string, limit: number, filters: Partial<Omit<DeploymentPage, 'limit' | 'after'>> = {}): Promise<Deployment[][]> {
  const pages: Deployment[][] = []
  let after: SortKey | null = null
  for (;;) {
    const page = await store.listDeployments(userId, { ...NO_DEPLOYMENT_FILTER, ...filters, limit, after })
    if (page.length === 0) return pages
    pages.push(page)
    const last = page[page.length - 1]!
    after = { createdAt: last.createdAt, id: last.id }
  }
}

const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id)

/** A deployment with a chosen id (for ties) or mode, pending. */
async function insert(store: Store, seeded: Seeded, options: { id?: string; createdAt?: number; mode?: DeploymentMode; satelliteId?: string } = {}): Promise<DeploymentChange> {
  return store.insertDeployment({
    id: options.id ?? newId('deployment'),
    userId: seeded.user.id,
    missionId: seeded.missionId,
    planId: seeded.planId,
    satelliteId: options.satelliteId ?? seeded.satelliteId,
    status: 'pending',
    mode: options.mode ?? 'live',
    speedMultiplier: 2.5,
    agentId: null,
    createdAt: options.createdAt ?? T0,
    dispatchedAt: null,
    startedAt: null,
    completedAt: null,
    eventCount: 0,
    replayActive: false,
  })
}

/** A second mission with its own plan for the seeded user. */
async function secondPlan(store: Store, seeded: Seeded): Promise<Seeded> {
  const missionId = newId('mission')
  await store.insertMission({ id: missionId, userId: seeded.user.id, name: 'Other mission', description: null, createdAt: T0 })
  const planId = newId('plan')
  await store.insertPlan({ id: planId, userId: seeded.user.id, missionId, label: 'Other plan', satelliteId: 'sat-2', satelliteName: null, preset: null, eventCount: 0, createdAt: T0, planData: '{"events":[]}' })
  return { ...seeded, missionId, planId, satelliteId: 'sat-2' }
}

const code = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: { code?: string }) => error.code)

export function deploymentCases(backend: Backend) {
  describe(`deployments (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('a deployment reads back as inserted, with its mission name and plan label, and only for its owner', async () => {
      const { store } = opened
      const a = await seedPlan(store)
      const b = await seedPlan(store)
      const durable: DeploymentChange[] = []
      const change = await store.insertDeployment(
        { id: 'dep-1', userId: a.user.id, missionId: a.missionId, planId: a.planId, satelliteId: 'sat-9', status: 'pending', mode: 'simulated', speedMultiplier: 2.5, agentId: null, createdAt: T0 + 3, dispatchedAt: null, startedAt: null, completedAt: null, eventCount: 0, replayActive: false },
        (c) => durable.push(c),
      )
      const expected: Deployment = {
        id: 'dep-1', userId: a.user.id, missionId: a.missionId, planId: a.planId, satelliteId: 'sat-9', status: 'pending', mode: 'simulated', speedMultiplier: 2.5,
        agentId: null, createdAt: T0 + 3, dispatchedAt: null, startedAt: null, completedAt: null, eventCount: 0, missionName: 'Mission', planLabel: 'Plan', archivedAt: null,
      }
      expect(change).toEqual({ seq: 1, deployment: expected })
      expect(durable).toEqual([change])
      expect(await store.getDeployment(a.user.id, 'dep-1')).toEqual(expected)
      expect(await store.getDeployment(b.user.id, 'dep-1')).toBeNull()
      expect(await store.getDeployment(a.user.id, 'dep-unknown')).toBeNull()
      expect(await store.listDeployments(b.user.id, { ...NO_DEPLOYMENT_FILTER, limit: 10, after: null })).toEqual([])
      expect(await store.storedBytes(a.user.id)).toBe(0)
      const other = await opened.openAnother()
      expect(await other.getDeployment(a.user.id, 'dep-1')).toEqual(expected)
    })

    test('listDeployments pages newest first through rows of one instant, never skipping or repeating', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const made: Deployment[] = []
      for (const suffix of ['a', 'B', 'b', '_z', '-y', '0', 'A1', 'a0']) made.push((await insert(store, seeded, { id: `dep-${suffix}` })).deployment)
      made.push((await insert(store, seeded, { id: 'dep-later', createdAt: T0 + SECOND })).deployment)
      made.push((await insert(store, seeded, { id: 'dep-zz', createdAt: T0 - SECOND })).deployment)
      const expected = ids([...made].sort(newestFirst))
      for (const limit of [1, 3, 4, 100]) {
        const pages = await listAll(store, seeded.user.id, limit)
        expect(pages.every((page) => page.length <= limit)).toBe(true)
        expect(ids(pages.flat())).toEqual(expected)
      }
      expect(await store.listDeployments(seeded.user.id, { ...NO_DEPLOYMENT_FILTER, limit: 2, after: null })).toEqual([...made].sort(newestFirst).slice(0, 2))
    })

    test('the list filters by statuses, mission, mode and satellite, and pages within the filter', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const other = await secondPlan(store, seeded)
      const live1 = (await insert(store, seeded, { createdAt: T0 + 1 })).deployment
      const sim = (await insert(store, seeded, { createdAt: T0 + 2, mode: 'simulated' })).deployment
      const cancelled = (await insert(store, seeded, { createdAt: T0 + 3 })).deployment
      await store.cancelDeployment(seeded.user.id, cancelled.id, T0 + 10, null)
      const otherMission = (await insert(store, other, { createdAt: T0 + 4 })).deployment
      const otherSat = (await insert(store, seeded, { createdAt: T0 + 5, satelliteId: 'sat-7' })).deployment
      const all = async (filters: Partial<Omit<DeploymentPage, 'limit' | 'after'>>) => ids((await listAll(store, seeded.user.id, 2, filters)).flat())

      expect(await all({})).toEqual(ids([otherSat, otherMission, cancelled, sim, live1]))
      expect(await all({ statuses: ['cancelled'] })).toEqual([cancelled.id])
      expect(await all({ statuses: ['pending', 'cancelled'] as DeploymentStatus[] })).toEqual(ids([otherSat, otherMission, cancelled, sim, live1]))
      expect(await all({ statuses: ['running'] })).toEqual([])
      expect(await all({ statuses: [] })).toEqual([])
      expect(await all({ missionId: other.missionId })).toEqual([otherMission.id])
      expect(await all({ missionId: 'mis-unknown' })).toEqual([])
      expect(await all({ mode: 'simulated' })).toEqual([sim.id])
      expect(await all({ mode: 'live' })).toEqual(ids([otherSat, otherMission, cancelled, live1]))
      expect(await all({ satelliteId: 'sat-7' })).toEqual([otherSat.id])
      expect(await all({ satelliteId: 'sat-1', mode: 'live', statuses: ['pending'] })).toEqual([live1.id])
    })

    test('archived deployments are left out by default, included or alone on request', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const kept = (await insert(store, seeded, { createdAt: T0 + 1 })).deployment
      const archived = (await insert(store, seeded, { createdAt: T0 + 2 })).deployment
      await store.cancelDeployment(seeded.user.id, archived.id, T0 + 5, null)
      await store.setDeploymentArchived(seeded.user.id, archived.id, true, T0 + 6)
      const all = async (archivedFilter: DeploymentPage['archived']) => ids((await listAll(store, seeded.user.id, 1, { archived: archivedFilter })).flat())
      expect(await all('exclude')).toEqual([kept.id])
      expect(await all('include')).toEqual([archived.id, kept.id])
      expect(await all('only')).toEqual([archived.id])
    })

    test('cancel moves a deployment to cancelled once; a terminal one is a CONFLICT, an unknown or another user’s NOT_FOUND', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const stranger = await seedPlan(store)
      const d = await seedDeployment(store, seeded)
      const durable: DeploymentChange[] = []
      const audit: AuditEntry = { at: T0 + 7, actorId: seeded.user.id, actorEmail: seeded.user.email, action: 'deployment.cancel', target: d.id, address: null, detail: null }
      expect(await code(store.cancelDeployment(stranger.user.id, d.id, T0 + 5, null))).toBe('NOT_FOUND')
      expect(await code(store.cancelDeployment(seeded.user.id, 'dep-unknown', T0 + 5, null))).toBe('NOT_FOUND')
      const change = await store.cancelDeployment(seeded.user.id, d.id, T0 + 7, audit, (c) => durable.push(c))
      expect(change.deployment).toEqual({ ...d, status: 'cancelled', completedAt: T0 + 7 })
      expect(change.seq).toBe(2)
      expect(durable).toEqual([change])
      expect(await store.getDeployment(seeded.user.id, d.id)).toEqual(change.deployment)
      expect(await code(store.cancelDeployment(seeded.user.id, d.id, T0 + 8, null))).toBe('CONFLICT')
      // A refused cancel changes nothing, not even the sequence.
      expect(await store.lastChangeSeq(seeded.user.id)).toBe(2)
      expect(await store.getDeployment(seeded.user.id, d.id)).toEqual(change.deployment)
    })

    test('archive takes only a terminal deployment, keeps its first archived_at, and restore clears it', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const stranger = await seedPlan(store)
      const d = await seedDeployment(store, seeded)
      expect(await code(store.setDeploymentArchived(seeded.user.id, d.id, true, T0 + 1))).toBe('CONFLICT')
      expect(await code(store.setDeploymentArchived(seeded.user.id, 'dep-unknown', true, T0 + 1))).toBe('NOT_FOUND')
      expect(await code(store.setDeploymentArchived(stranger.user.id, d.id, true, T0 + 1))).toBe('NOT_FOUND')
      // Restoring one never archived is no change.
      const unmoved: DeploymentChange[] = []
      expect(await store.setDeploymentArchived(seeded.user.id, d.id, false, T0 + 1, (c) => unmoved.push(c))).toEqual({ seq: 1, deployment: d })
      await store.cancelDeployment(seeded.user.id, d.id, T0 + 2, null)
      const durable: DeploymentChange[] = []
      const archived = await store.setDeploymentArchived(seeded.user.id, d.id, true, T0 + 3, (c) => durable.push(c))
      expect(archived).toEqual({ seq: 3, deployment: { ...d, status: 'cancelled', completedAt: T0 + 2, archivedAt: T0 + 3 } })
      expect(durable).toEqual([archived])
      // Archiving again keeps the first instant and is no change of the sequence.
      expect(await store.setDeploymentArchived(seeded.user.id, d.id, true, T0 + 4, (c) => unmoved.push(c))).toEqual(archived)
      expect(unmoved).toEqual([])
      const restored = await store.setDeploymentArchived(seeded.user.id, d.id, false, T0 + 5)
      expect(restored).toEqual({ seq: 4, deployment: { ...archived.deployment, archivedAt: null } })
      expect(await store.getDeployment(seeded.user.id, d.id)).toEqual(restored.deployment)
    })

    test('every change takes the owner’s next number: listDeploymentChanges and lastChangeSeq follow it, per user', async () => {
      const { store } = opened
      const a = await seedPlan(store)
      const b = await seedPlan(store)
      expect(await store.lastChangeSeq(a.user.id)).toBe(0)
      expect(await store.listDeploymentChanges(a.user.id, 0, 10)).toEqual([])
      const d1 = await insert(store, a, { createdAt: T0 + 1 })
      const d2 = await insert(store, a, { createdAt: T0 + 2 })
      const e1 = await insert(store, b)
      const cancel1 = await store.cancelDeployment(a.user.id, d1.deployment.id, T0 + 3, null)
      const d3 = await insert(store, a, { createdAt: T0 + 4 })
      const archive1 = await store.setDeploymentArchived(a.user.id, d1.deployment.id, true, T0 + 5)
      expect([d1.seq, d2.seq, cancel1.seq, d3.seq, archive1.seq]).toEqual([1, 2, 3, 4, 5])
      expect(e1.seq).toBe(1)
      expect(await store.lastChangeSeq(a.user.id)).toBe(5)
      expect(await store.lastChangeSeq(b.user.id)).toBe(1)
      // Each deployment once, at its latest change, in change order.
      expect(await store.listDeploymentChanges(a.user.id, 0, 10)).toEqual([d2, d3, archive1])
      expect(await store.listDeploymentChanges(a.user.id, 2, 10)).toEqual([d3, archive1])
      expect(await store.listDeploymentChanges(a.user.id, 0, 2)).toEqual([d2, d3])
      expect(await store.listDeploymentChanges(a.user.id, 5, 10)).toEqual([])
      expect(await store.listDeploymentChanges(b.user.id, 0, 10)).toEqual([e1])
      // Another store on the same database goes on with the same sequence.
      const other = await opened.openAnother()
      expect(await other.lastChangeSeq(a.user.id)).toBe(5)
      const d4 = await insert(other, a, { createdAt: T0 + 6 })
      expect(d4.seq).toBe(6)
      expect(await store.listDeploymentChanges(a.user.id, 5, 10)).toEqual([d4])
    })

    test('markDeploymentsChanged gives each known deployment its owner’s next number, in the order given', async () => {
      const { store } = opened
      const a = await seedPlan(store)
      const b = await seedPlan(store)
      const d1 = (await insert(store, a, { createdAt: T0 + 1 })).deployment
      const d2 = (await insert(store, a, { createdAt: T0 + 2 })).deployment
      const e1 = (await insert(store, b)).deployment
      const durable: DeploymentChange[][] = []
      const changes = await store.markDeploymentsChanged([d2.id, 'dep-unknown', e1.id, d1.id], (c) => durable.push(c))
      expect(changes).toEqual([
        { seq: 3, deployment: d2 },
        { seq: 2, deployment: e1 },
        { seq: 4, deployment: d1 },
      ])
      expect(durable).toEqual([changes])
      expect(await store.lastChangeSeq(a.user.id)).toBe(4)
      expect(await store.lastChangeSeq(b.user.id)).toBe(2)
      expect(await store.listDeploymentChanges(a.user.id, 0, 10)).toEqual([changes[0]!, changes[2]!])
      expect(await store.markDeploymentsChanged([], (c) => durable.push(c))).toEqual([])
      expect(await store.markDeploymentsChanged(['dep-unknown'])).toEqual([])
      expect(await store.lastChangeSeq(a.user.id)).toBe(4)
    })

    test('an event count that moved without its change gets one when another store opens the database', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const moved = await seedDeployment(store, seeded, { createdAt: T0 + 1 })
      const still = await seedDeployment(store, seeded, { createdAt: T0 + 2 })
      // A plain event moves the count, not the sequence: the reports service marks it a second later.
      const event = parseEventInput({ type: 'telemetry.sample', timestamp: '2026-03-07T12:00:00Z', payload: {} })
      const [outcome] = await recordInputs(store, [input(moved, [event], T0 + 3)])
      expect(outcome!.ok).toBe(true)
      expect(await store.lastChangeSeq(seeded.user.id)).toBe(2)
      const other = await opened.openAnother()
      expect(await other.lastChangeSeq(seeded.user.id)).toBe(3)
      expect(await other.listDeploymentChanges(seeded.user.id, 0, 10)).toEqual([
        { seq: 2, deployment: still },
        { seq: 3, deployment: { ...moved, eventCount: 1 } },
      ])
      // Once recorded, a later open has nothing to give.
      const third = await opened.openAnother()
      expect(await third.lastChangeSeq(seeded.user.id)).toBe(3)
    })

    test('changes made at once on two stores take distinct, gapless numbers', async () => {
      const { store } = opened
      const seeded = await seedPlan(store)
      const other = await opened.openAnother()
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => insert(i % 2 ? other : store, seeded, { createdAt: T0 + i })))
      const seqs = made.map((change) => change.seq).sort((x, y) => x - y)
      expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
      const marked = await Promise.all(made.map((change, i) => (i % 2 ? store : other).markDeploymentsChanged([change.deployment.id])))
      expect(marked.map((changes) => changes[0]!.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 13))
      expect(await store.lastChangeSeq(seeded.user.id)).toBe(24)
      expect((await store.listDeploymentChanges(seeded.user.id, 12, 100)).map((change) => change.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 13))
    })
  })
}
