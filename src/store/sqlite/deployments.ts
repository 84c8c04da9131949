// Deployments and their events on SQLite. This is the hot path, so it uses bun:sqlite statements prepared
// once; every write that changes more than one row runs in one transaction.
import type { Statement } from 'bun:sqlite'
import type { Db } from '../../db/open'
import { decideReportAccess, decideTransition, triggerForEventType, type DeploymentStatus } from '../../domain/deployment'
import { AppError, notFound } from '../../domain/errors'
import type { Deployment, DispatchResult, GroupOutcome, RecordEventResult, RecordEventsInput, ReplayState, Reporter, Store } from '../types'
import type { DurableCommits } from './durable'
import { createEventPages } from './event-pages'
import { createEventStatements, type DeploymentCursor, type EventGroupWriter } from './events'

type DeploymentStore = Pick<
  Store,
  | 'insertDeployment'
  | 'listDeployments'
  | 'getDeployment'
  | 'cancelDeployment'
  | 'checkReportable'
  | 'recordEventGroups'
  | 'stagePayloads'
  | 'dropStagedPayloads'
  | 'listEvents'
  | 'countEvents'
  | 'lastArrival'
  | 'getEventCount'
  | 'dispatchNext'
  | 'listActiveReplays'
>

const REPLAY_COLUMNS = `id, user_id AS userId, plan_id AS planId, status, started_at AS startedAt,
  speed_multiplier AS speedMultiplier, replay_cursor AS replayCursor, replay_active = 1 AS replayActive`

const DEPLOYMENT_SELECT = `
  SELECT d.id, d.user_id AS userId, d.mission_id AS missionId, d.plan_id AS planId, d.satellite_id AS satelliteId,
         d.status, d.mode, d.speed_multiplier AS speedMultiplier, d.agent_id AS agentId, d.created_at AS createdAt,
         d.dispatched_at AS dispatchedAt, d.started_at AS startedAt, d.completed_at AS completedAt,
         d.event_count AS eventCount, m.name AS missionName, p.label AS planLabel
  FROM deployments d JOIN missions m ON m.id = d.mission_id JOIN plans p ON p.id = d.plan_id`

/**
 * A page of the list (docs/lists.md): newest first along deployments_user_idx (user_id, created_at), ties
 * of one instant sorted by id; the filters are tested on the rows in that range. Exported for the
 * query-plan test (test/db/query-plans.test.ts).
 */
export const DEPLOYMENT_LIST_SQL = `${DEPLOYMENT_SELECT}
  WHERE d.user_id = $userId AND d.created_at <= $createdAt AND (d.created_at < $createdAt OR d.id < $id)
    AND ($statuses IS NULL OR d.status IN (SELECT value FROM json_each($statuses)))
    AND ($missionId IS NULL OR d.mission_id = $missionId)
    AND ($mode IS NULL OR d.mode = $mode)
    AND ($satelliteId IS NULL OR d.satellite_id = $satelliteId)
  ORDER BY d.created_at DESC, d.id DESC LIMIT $limit`

type ReplayRow = Omit<ReplayState, 'replayActive'> & { replayActive: number }
const toReplayState = (row: ReplayRow): ReplayState => ({ ...row, replayActive: row.replayActive === 1 })

type ReportState = Pick<Deployment, 'status' | 'mode' | 'agentId' | 'startedAt'>

/** An unexpected error from one input of a group, carried out of the transaction to roll it back. */
class InputFailure {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {}
}

/** SQLite's own failures (disk full, locked, I/O): the group cannot commit, whichever input met them. */
const isStorageError = (error: unknown) => typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('SQLITE_')

export function createDeploymentStore(db: Db, durable: DurableCommits): DeploymentStore {
  const sqlite = db.$client
  const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => sqlite.transaction(fn).immediate
  const events = createEventStatements(db)
  const eventPages = createEventPages(db)
  const q = {
    insert: sqlite.prepare(`
      INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier,
        agent_id, created_at, dispatched_at, started_at, completed_at, event_count, replay_active, event_key, change_seq)
      VALUES ($id, $userId, $missionId, $planId, $satelliteId, $status, $mode, $speedMultiplier,
        $agentId, $createdAt, $dispatchedAt, $startedAt, $completedAt, $eventCount, $replayActive,
        (SELECT coalesce(max(event_key), 0) + 1 FROM deployments),
        (SELECT coalesce(max(change_seq), 0) + 1 FROM deployments WHERE user_id = $userId))`),
    // The oldest pending live deployment for one of the agent's satellites (deployments_dispatch_idx).
    nextPending: sqlite.prepare(`
      SELECT id FROM deployments
      WHERE user_id = $userId AND status = 'pending' AND mode = 'live' AND satellite_id IN (SELECT value FROM json_each($satellites))
      ORDER BY created_at, rowid LIMIT 1`) as Statement<{ id: string }>,
    dispatch: sqlite.prepare(`
      UPDATE deployments SET status = 'dispatched', agent_id = $agentId, dispatched_at = $now
      WHERE id = $id AND status = 'pending'`),
    planData: sqlite.prepare('SELECT plan_data AS planData FROM plans WHERE id = $id') as Statement<{ planData: string }>,
    activeReplays: sqlite.prepare(`
      SELECT ${REPLAY_COLUMNS} FROM deployments WHERE replay_active = 1`) as Statement<ReplayRow>,
    setCursor: sqlite.prepare(
      'UPDATE deployments SET replay_cursor = $cursor, replay_active = CASE WHEN $finished THEN 0 ELSE replay_active END WHERE id = $id',
    ),
    list: sqlite.prepare(DEPLOYMENT_LIST_SQL),
    get: sqlite.prepare(`${DEPLOYMENT_SELECT} WHERE d.id = $id AND d.user_id = $userId`) as Statement<Deployment>,
    // Only what a report needs, without the joins.
    reportState: sqlite.prepare(
      'SELECT status, mode, agent_id AS agentId, started_at AS startedAt, event_key AS eventKey FROM deployments WHERE id = $id AND user_id = $userId',
    ) as Statement<ReportState & { eventKey: number }>,
    // A cancel also ends the replay, if any.
    setStatus: sqlite.prepare(`
      UPDATE deployments SET status = $status,
        replay_active = CASE WHEN $status = 'cancelled' THEN 0 ELSE replay_active END,
        started_at = CASE WHEN $stampStarted THEN coalesce(started_at, $now) ELSE started_at END,
        completed_at = CASE WHEN $stampCompleted THEN $now ELSE completed_at END
      WHERE id = $id`),
    countEvents: sqlite.prepare('UPDATE deployments SET event_count = event_count + $created WHERE id = $id'),
    eventCount: sqlite.prepare('SELECT event_count FROM deployments WHERE id = $id AND user_id = $userId') as Statement<{ event_count: number }>,
  }

  /** Throws NOT_FOUND for an unknown (or another user's) deployment, or the reporter's refusal. */
  function requireReportable(userId: string, deploymentId: string, reporter: Reporter, known?: ReportState) {
    const state = known ?? q.reportState.get({ id: deploymentId, userId })
    if (!state) throw notFound('deployment')
    const refusal = decideReportAccess(state, reporter)
    if (refusal) throw refusal
    return state
  }

  /** Per group commit, the state of each deployment touched, kept current as the group's events move it. */
  type Touched = ReportState & { created: number; cursor: DeploymentCursor }

  /** One input of a group. Every check precedes every write, so a refused input leaves nothing behind. */
  function recordInGroup(input: RecordEventsInput, touched: Map<string, Touched>, writer: EventGroupWriter): RecordEventResult[] {
    const { deploymentId, now } = input
    const slot = `${input.userId}\n${deploymentId}`
    // Checked against the state as this group has left it, read from the table only the first time.
    let state = touched.get(slot)
    const checked = requireReportable(input.userId, deploymentId, input.reporter, state)
    if (!state) {
      const { eventKey, ...rest } = checked as ReportState & { eventKey: number }
      state = { ...rest, created: 0, cursor: { key: eventKey, latest: null, arrival: null } }
      touched.set(slot, state)
    }
    const results: RecordEventResult[] = []
    for (const { event, key, staged } of input.events) {
      const result = writer.record(state.cursor, event, key, now, staged ?? null)
      results.push(result)
      if (!result.created) continue
      state.created++
      const trigger = triggerForEventType(event.type)
      const transition = trigger && decideTransition(state, trigger)
      if (transition) state.status = applyTransition(deploymentId, transition.to, transition.stamps, now)
    }
    if (input.replay) {
      q.setCursor.run({ id: deploymentId, cursor: input.replay.cursor, finished: input.replay.finished ? 1 : 0 })
      const end = input.replay.finished && decideTransition(state, 'replay_end')
      if (end) state.status = applyTransition(deploymentId, end.to, end.stamps, now)
    }
    return results
  }

  // Every transaction that reads and then writes starts IMMEDIATE: it takes the write lock first (waiting
  // up to busy_timeout for another process), so a concurrent writer can never invalidate what it read.
  // `failed`: inputs that threw unexpectedly in an earlier try of this group, answered with their error.
  const recordGroupOnce = immediate((inputs: RecordEventsInput[], failed: Map<number, unknown>): GroupOutcome[] => {
    const touched = new Map<string, Touched>()
    const writer = events.beginGroup()
    const outcomes = inputs.map((input, i): GroupOutcome => {
      if (failed.has(i)) return { ok: false, error: failed.get(i) }
      try {
        return { ok: true, results: recordInGroup(input, touched, writer) }
      } catch (error) {
        if (error instanceof AppError) return { ok: false, error }
        // A storage failure fails the whole group; anything else is this input's own.
        if (isStorageError(error)) throw error
        throw new InputFailure(i, error)
      }
    })
    writer.finish()
    // One counter update per deployment per group, however many reports it took.
    for (const [slot, state] of touched) if (state.created) q.countEvents.run({ id: slot.slice(slot.indexOf('\n') + 1), created: state.created })
    return outcomes
  })

  /**
   * An input that throws unexpectedly may have written rows already: the transaction is rolled back and the
   * group tried again without it, so the others commit exactly as if it had not been sent.
   */
  function recordEventGroups(inputs: RecordEventsInput[]): GroupOutcome[] {
    const failed = new Map<number, unknown>()
    for (;;) {
      try {
        return recordGroupOnce(inputs, failed)
      } catch (error) {
        if (!(error instanceof InputFailure)) throw error
        failed.set(error.index, error.error)
      }
    }
  }

  const dispatchNext = immediate(
    (userId: string, agentId: string, satelliteIds: string[], now: number, prepare: (d: Deployment, planData: string) => unknown): DispatchResult<unknown> => {
      const next = q.nextPending.get({ userId, satellites: JSON.stringify(satelliteIds) })
      if (!next) return { kind: 'none' }
      const pending = q.get.get({ id: next.id, userId })!
      const transition = decideTransition(pending, 'dispatch')!
      const deployment = { ...pending, status: transition.to, agentId, dispatchedAt: now }
      // Built before anything is written: a workload that cannot be built leaves the deployment as it was.
      let value: unknown
      try {
        value = prepare(deployment, q.planData.get({ id: deployment.planId })!.planData)
      } catch (error) {
        return { kind: 'unbuildable', deployment: pending, error }
      }
      q.dispatch.run({ id: next.id, agentId, now })
      return { kind: 'dispatched', value }
    },
  )

  /**
   * Runs a write that decides on the deployment's status, and answers — its result or its refusal — only
   * once every event commit before it is flushed: the status it saw may come from one not yet on disk.
   * After a failed flush nothing is decided (503). If the flush it waits for fails, the decision still
   * stands: it was committed under FULL, and answering 503 for it would strand, say, a dispatched workload.
   */
  async function settledAfter<T>(decide: () => T): Promise<T> {
    durable.check()
    let outcome: { value: T } | { error: unknown }
    try {
      outcome = { value: decide() }
    } catch (error) {
      outcome = { error }
    }
    await durable.settled().catch(() => {})
    if ('error' in outcome) throw outcome.error
    return outcome.value
  }

  function applyTransition(id: string, status: DeploymentStatus, stamps: string[], now: number): DeploymentStatus {
    q.setStatus.run({
      id,
      status,
      now,
      stampStarted: stamps.includes('started_at') ? 1 : 0,
      stampCompleted: stamps.includes('completed_at') ? 1 : 0,
    })
    return status
  }

  return {
    async insertDeployment(deployment) {
      q.insert.run({ ...deployment, replayActive: deployment.replayActive ? 1 : 0 })
    },
    async listDeployments(userId, { limit, after, statuses, missionId, mode, satelliteId }) {
      // Without a cursor: from after the last instant (created_at is never that large).
      const from = after ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' }
      const filters = { statuses: statuses && JSON.stringify(statuses), missionId, mode, satelliteId }
      return q.list.all({ userId, limit, createdAt: from.createdAt, id: from.id, ...filters }) as Deployment[]
    },
    async getDeployment(userId, id) {
      return q.get.get({ id, userId }) ?? null
    },
    async cancelDeployment(userId, id, now) {
      return settledAfter(
        immediate(() => {
          const deployment = q.get.get({ id, userId })
          if (!deployment) throw notFound('deployment')
          const transition = decideTransition(deployment, 'cancel')
          if (!transition) throw new AppError('CONFLICT', `deployment is already ${deployment.status}`)
          applyTransition(id, transition.to, transition.stamps, now)
          return q.get.get({ id, userId })!
        }),
      )
    },
    async checkReportable(userId, deploymentId, reporter) {
      requireReportable(userId, deploymentId, reporter)
    },
    async recordEventGroups(inputs) {
      // The hot path: committed without holding up the event loop for the flush, answered after it.
      let outcomes: GroupOutcome[] = []
      try {
        return await durable.commit(() => (outcomes = recordEventGroups(inputs)))
      } catch (error) {
        // The transaction failed: nothing was stored, every input fails with it.
        if (outcomes.length === 0) throw error
        // The flush failed after the commit: what was stored may not be on disk, so nothing stored is
        // acknowledged; inputs refused by their checks keep their own answer.
        return outcomes.map((outcome) => (outcome.ok ? { ok: false, error } : outcome))
      }
    },
    async dispatchNext<T>(userId: string, agentId: string, satelliteIds: string[], now: number, prepare: (d: Deployment, planData: string) => T) {
      return settledAfter(() => dispatchNext(userId, agentId, satelliteIds, now, prepare) as DispatchResult<T>)
    },
    async listActiveReplays() {
      return q.activeReplays.all().map(toReplayState)
    },
    async stagePayloads(inputs) {
      return events.stagePayloads(inputs, (write) => durable.commitUnflushed(write))
    },
    async dropStagedPayloads(staged) {
      events.dropStaged(staged, (write) => durable.commitUnflushed(write))
    },
    async listEvents(deploymentId, page) {
      return eventPages.list(deploymentId, page)
    },
    async countEvents(deploymentId, filter) {
      return eventPages.count(deploymentId, filter)
    },
    async lastArrival(deploymentId) {
      return eventPages.lastArrival(deploymentId)
    },
    async getEventCount(userId, deploymentId) {
      return q.eventCount.get({ id: deploymentId, userId })?.event_count ?? null
    },
  }
}
