// What the conformance cases set up, through the Store alone (no HTTP, no SQL): a user with a mission and a
// plan, deployments, and events stored through the real use case (src/services/report-group.ts), the way
// the reports service stores them.
import { parseEventInput, type EventInput } from '../../../src/domain/event'
import { newId } from '../../../src/domain/ids'
import { recordGroup } from '../../../src/services/report-group'
import type { DeploymentMode } from '../../../src/domain/deployment'
import type { Deployment, GroupOutcome, RecordEventsInput, Reporter, Store, User } from '../../../src/store/types'

/** A fixed instant (microseconds): 2026-03-07T12:00:00Z. */
export const T0 = Date.parse('2026-03-07T12:00:00Z') * 1000
export const SECOND = 1_000_000

let counter = 0
const unique = () => `${Date.now().toString(36)}${(++counter).toString(36)}`

export async function seedUser(store: Store, role: User['role'] = 'operator'): Promise<User> {
  const id = newId('user')
  return store.insertUser({ id, email: `u-${unique()}@example.test`, name: null, role, passwordHash: 'hash', createdAt: T0 }, null)
}

export type Seeded = { user: User; missionId: string; planId: string; satelliteId: string }

/** A user with one mission and one plan of `planEvents` plan events for satellite `sat-1`. */
export async function seedPlan(store: Store, user?: User): Promise<Seeded> {
  const owner = user ?? (await seedUser(store))
  const missionId = newId('mission')
  await store.insertMission({ id: missionId, userId: owner.id, name: 'Mission', description: null, createdAt: T0 })
  const planId = newId('plan')
  const planData = JSON.stringify({ events: [] })
  await store.insertPlan({ id: planId, userId: owner.id, missionId, label: 'Plan', satelliteId: 'sat-1', satelliteName: null, preset: null, eventCount: 0, createdAt: T0, planData })
  return { user: owner, missionId, planId, satelliteId: 'sat-1' }
}

/** A pending deployment of the seeded plan. */
export async function seedDeployment(store: Store, seeded: Seeded, options: { mode?: DeploymentMode; createdAt?: number; satelliteId?: string } = {}): Promise<Deployment> {
  const id = newId('deployment')
  const mode = options.mode ?? 'live'
  const change = await store.insertDeployment({
    id,
    userId: seeded.user.id,
    missionId: seeded.missionId,
    planId: seeded.planId,
    satelliteId: options.satelliteId ?? seeded.satelliteId,
    status: 'pending',
    mode,
    speedMultiplier: 1,
    agentId: null,
    createdAt: options.createdAt ?? T0,
    dispatchedAt: null,
    startedAt: null,
    completedAt: null,
    eventCount: 0,
    replayActive: false,
  })
  return change.deployment
}

/** An event as an agent's report carries it (src/domain/event.ts parseEventInput). */
export function eventInput(type: string, timestamp: number, payload: unknown = {}, extra: { job_id?: string; step_id?: string } = {}): EventInput {
  return parseEventInput({ type, timestamp: new Date(timestamp / 1000).toISOString(), payload, ...extra })
}

/**
 * Stores the inputs in one event group, as the reports service does (one transaction), and waits until
 * it is durable: each input's outcome.
 */
export async function recordInputs(store: Store, inputs: RecordEventsInput[]): Promise<GroupOutcome[]> {
  const written = await store.writeEventGroup(inputs, (writes) => recordGroup(writes, inputs, new Map()))
  await written.durable
  return written.value.outcomes
}

/** One input of `events` for a deployment, reported by `reporter` (default: the server itself, which any deployment takes). */
export function input(deployment: Deployment, events: Array<EventInput | { event: EventInput; key: string | null }>, now = T0, reporter: Reporter = { kind: 'server' }): RecordEventsInput {
  return {
    userId: deployment.userId,
    deploymentId: deployment.id,
    reporter,
    events: events.map((e) => ('event' in e && 'key' in e ? e : { event: e as EventInput, key: null })),
    now,
  }
}
