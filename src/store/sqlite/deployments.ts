// Deployments and their events on SQLite. This is the hot path, so it uses bun:sqlite statements prepared
// once; every write that changes more than one row runs in one transaction.
import type { AuditEntry } from '../../domain/audit'
import { writeAudit } from './audit'
import type { Statement } from 'bun:sqlite'
import type { Db } from './db/open'
import { decideTransition, isTerminal, stopsReplay, type DeploymentStatus, type StampedField } from '../../domain/deployment'
import { AppError, notFound } from '../../domain/errors'
import type { EventInput } from '../../domain/event'
import { eventSize } from '../../domain/quota'
import type { Deployment, DeploymentChange, DispatchResult, EventGroupWrites, ReplayState, ReportState, ReportTarget, StatusCause, Store } from '../types'
import type { DurableCommits } from './durable'
import { createEventPages } from './event-pages'
import type { RowWalker } from './row-walker'
import { createEventStatements, type DeploymentCursor, type EventAppender } from './events'
import { deploymentAlertData, terminalAlert } from '../../domain/webhooks'
import type { AlertOutbox } from './webhooks'

type DeploymentStore = Pick<
  Store,
  | 'insertDeployment'
  | 'storedBytes'
  | 'listDeployments'
  | 'getDeployment'
  | 'cancelDeployment'
  | 'setDeploymentArchived'
  | 'getReportTarget'
  | 'writeEventGroup'
  | 'listDeploymentChanges'
  | 'lastChangeSeq'
  | 'markDeploymentsChanged'
  | 'whenDurable'
  | 'listEventsByArrival'
  | 'stagePayloads'
  | 'dropStagedPayloads'
  | 'listEvents'
  | 'countEvents'
  | 'lastArrival'
  | 'getEventCount'
  | 'dispatchNext'
  | 'listActiveReplays'
  | 'leaseReplays'
>

const REPLAY_COLUMNS = `id, user_id AS userId, plan_id AS planId, status, started_at AS startedAt,
  speed_multiplier AS speedMultiplier, replay_cursor AS replayCursor, replay_active = 1 AS replayActive`

const DEPLOYMENT_SELECT = `
  SELECT d.id, d.user_id AS userId, d.mission_id AS missionId, d.plan_id AS planId, d.satellite_id AS satelliteId,
         d.status, d.mode, d.speed_multiplier AS speedMultiplier, d.agent_id AS agentId, d.created_at AS createdAt,
         d.dispatched_at AS dispatchedAt, d.started_at AS startedAt, d.completed_at AS completedAt,
         d.event_count AS eventCount, m.name AS missionName, p.label AS planLabel, d.archived_at AS archivedAt, d.change_seq AS changeSeq
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
    AND ($archived = 'include' OR (d.archived_at IS NOT NULL) = ($archived = 'only'))
  ORDER BY d.created_at DESC, d.id DESC LIMIT $limit`

type ReplayRow = Omit<ReplayState, 'replayActive'> & { replayActive: number }
const toReplayState = (row: ReplayRow): ReplayState => ({ ...row, replayActive: row.replayActive === 1 })

type DeploymentRow = Deployment & { changeSeq: number }
const toDeployment = ({ changeSeq: _seq, ...deployment }: DeploymentRow): Deployment => deployment
const toChange = ({ changeSeq, ...deployment }: DeploymentRow): DeploymentChange => ({ seq: changeSeq, deployment })

/** A deployment as one event group's transaction has left it, with what the store keeps for it meanwhile. */
class GroupTarget implements ReportTarget {
  /** Events created for it in this transaction, not yet added to its event_count. */
  created = 0
  /** What they take (src/domain/quota.ts eventSize), not yet added to its stored_bytes. */
  bytes = 0
  status: DeploymentStatus
  mode: Deployment['mode']
  agentId: string | null
  startedAt: number | null
  completedAt: number | null
  constructor(
    readonly userId: string,
    readonly deploymentId: string,
    state: ReportState,
    /** Where its events go: its event key, its newest instant and its last arrival, read when first needed. */
    readonly cursor: DeploymentCursor,
  ) {
    this.status = state.status
    this.mode = state.mode
    this.agentId = state.agentId
    this.startedAt = state.startedAt
    this.completedAt = state.completedAt
  }
}

/** SQLite's own failures (disk full, locked, I/O): a transaction that met one cannot commit. */
const isStorageError = (error: unknown) => typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('SQLITE_')

/** `alerts`: where a deployment that becomes terminal writes its alert, in the same transaction (docs/api.md §1 "Webhooks"). */
/** `walker`: the row walker's thread for deep offsets and counts (src/store/sqlite/row-walker.ts); none for a database in memory. */
export function createDeploymentStore(db: Db, durable: DurableCommits, alerts?: AlertOutbox, walker: RowWalker | null = null): DeploymentStore {
  const sqlite = db.$client
  const immediate = <A extends unknown[], R>(fn: (...args: A) => R) => sqlite.transaction(fn).immediate
  const events = createEventStatements(db)
  const eventPages = createEventPages(db, walker)
  const q = {
    insert: sqlite.prepare(`
      INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier,
        agent_id, created_at, dispatched_at, started_at, completed_at, event_count, replay_active, event_key, change_seq, change_count)
      VALUES ($id, $userId, $missionId, $planId, $satelliteId, $status, $mode, $speedMultiplier,
        $agentId, $createdAt, $dispatchedAt, $startedAt, $completedAt, $eventCount, $replayActive,
        (SELECT coalesce(max(event_key), 0) + 1 FROM deployments),
        (SELECT coalesce(max(change_seq), 0) + 1 FROM deployments WHERE user_id = $userId), $eventCount)`),
    // The oldest pending live deployment for one of the agent's satellites (deployments_dispatch_idx).
    nextPending: sqlite.prepare(`
      SELECT id FROM deployments
      WHERE user_id = $userId AND status = 'pending' AND mode = 'live' AND satellite_id IN (SELECT value FROM json_each($satellites))
      ORDER BY created_at, rowid LIMIT 1`) as Statement<{ id: string }>,
    // The statuses come from the transition decided (decideTransition 'dispatch'), not from this SQL; the
    // WHERE keeps it conditional, so two polls racing cannot both move the same deployment.
    dispatch: sqlite.prepare(`
      UPDATE deployments SET status = $to, agent_id = $agentId, dispatched_at = $now
      WHERE id = $id AND status = $from`),
    planData: sqlite.prepare('SELECT plan_data AS planData FROM plans WHERE id = $id') as Statement<{ planData: string }>,
    activeReplays: sqlite.prepare(`
      SELECT ${REPLAY_COLUMNS} FROM deployments WHERE replay_active = 1`) as Statement<ReplayRow>,
    setCursor: sqlite.prepare(
      'UPDATE deployments SET replay_cursor = $cursor, replay_active = CASE WHEN $finished THEN 0 ELSE replay_active END WHERE id = $id',
    ),
    list: sqlite.prepare(DEPLOYMENT_LIST_SQL),
    get: sqlite.prepare(`${DEPLOYMENT_SELECT} WHERE d.id = $id AND d.user_id = $userId`) as Statement<DeploymentRow>,
    changesAfter: sqlite.prepare(`${DEPLOYMENT_SELECT} WHERE d.user_id = $userId AND d.change_seq > $after ORDER BY d.change_seq LIMIT $limit`) as Statement<DeploymentRow>,
    lastChange: sqlite.prepare('SELECT coalesce(max(change_seq), 0) FROM deployments WHERE user_id = ?'),
    // The owner's next change number: one step down deployments_change_idx. The change carries the count as it is now.
    markChanged: sqlite.prepare(`
      UPDATE deployments SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM deployments WHERE user_id = $userId),
        change_count = event_count
      WHERE id = $id AND user_id = $userId`),
    // Counts that moved after their deployment's latest change, in the order of those changes. One pass over
    // the table, cheaper than along deployments_change_idx (15 ms, not 23, for 100 000 deployments).
    unrecordedCounts: sqlite.prepare(
      'SELECT id, user_id AS userId FROM deployments NOT INDEXED WHERE event_count != change_count ORDER BY user_id, change_seq',
    ) as Statement<{ id: string; userId: string }>,
    // Only what a report needs, without the joins.
    reportState: sqlite.prepare(
      'SELECT status, mode, agent_id AS agentId, started_at AS startedAt, completed_at AS completedAt, event_key AS eventKey FROM deployments WHERE id = $id AND user_id = $userId',
    ) as Statement<ReportState & { eventKey: number }>,
    // A status that stops the replay (stopsReplay, src/domain/deployment.ts) also ends it, if any.
    setStatus: sqlite.prepare(`
      UPDATE deployments SET status = $status,
        replay_active = CASE WHEN $stopsReplay THEN 0 ELSE replay_active END,
        started_at = CASE WHEN $stampStarted THEN coalesce(started_at, $now) ELSE started_at END,
        completed_at = CASE WHEN $stampCompleted THEN $now ELSE completed_at END
      WHERE id = $id`),
    countEvents: sqlite.prepare('UPDATE deployments SET event_count = event_count + $created, stored_bytes = stored_bytes + $bytes WHERE id = $id'),
    storedBytes: sqlite.prepare('SELECT coalesce(sum(stored_bytes), 0) AS bytes FROM deployments WHERE user_id = ?') as Statement<{ bytes: number }>,
    // Archiving keeps an archived_at already set; restoring clears it.
    setArchived: sqlite.prepare(`UPDATE deployments SET archived_at = CASE WHEN $archived THEN coalesce(archived_at, $now) ELSE NULL END
      WHERE id = $id AND user_id = $userId`),
    eventCount: sqlite.prepare('SELECT event_count FROM deployments WHERE id = $id AND user_id = $userId') as Statement<{ event_count: number }>,
    owner: sqlite.prepare('SELECT user_id AS userId FROM deployments WHERE id = $id') as Statement<{ userId: string }>,
  }

  /** Adds the events created so far to the deployment's event_count and stored_bytes: one update per deployment per group. */
  const writeCount = (target: GroupTarget) => {
    if (target.created) q.countEvents.run({ id: target.deploymentId, created: target.created, bytes: target.bytes })
    target.created = 0
    target.bytes = 0
  }

  /** The writes of one event group's transaction (EventGroupWrites), over its own targets and appender. */
  function groupWrites(targets: Map<string, GroupTarget>, appender: EventAppender): EventGroupWrites {
    const own = (target: ReportTarget) => target as GroupTarget
    return {
      target(userId, deploymentId) {
        const slot = `${userId}\n${deploymentId}`
        let target = targets.get(slot)
        if (!target) {
          const row = q.reportState.get({ id: deploymentId, userId })
          if (!row) return null
          const { eventKey, ...state } = row
          target = new GroupTarget(userId, deploymentId, state, { key: eventKey, latest: null, arrival: null })
          targets.set(slot, target)
        }
        return target
      },
      append(target, event: EventInput, key, now, staged) {
        const result = appender.append(own(target).cursor, event, key, now, staged)
        if (result.created) {
          own(target).created++
          own(target).bytes += eventSize(event)
        }
        return result
      },
      setStatus(target, to, stamps, now, cause) {
        applyTransition(target.deploymentId, to, stamps, now)
        alertIfTerminal(target.userId, target.deploymentId, to, now, cause, () => writeCount(own(target)))
        const t = own(target)
        t.status = to
        if (stamps.includes('started_at')) t.startedAt ??= now
        if (stamps.includes('completed_at')) t.completedAt = now
      },
      lastArrival(target) {
        return appender.lastArrival(own(target).cursor)
      },
      setReplayCursor(target, cursor, finished) {
        q.setCursor.run({ id: target.deploymentId, cursor, finished: finished ? 1 : 0 })
      },
      markChanged(target) {
        writeCount(own(target))
        return markChanged(target.userId, target.deploymentId)
      },
      isStorageFailure: isStorageError,
    }
  }

  /** Gives the deployment its owner's next change number; returns it as changed. Inside a transaction. */
  function markChanged(userId: string, id: string): DeploymentChange {
    q.markChanged.run({ id, userId })
    return toChange(q.get.get({ id, userId })!)
  }

  // A count that moved is given its change by a timer, a second later (src/services/reports.ts): a crash or
  // a shutdown within that second left it without one, and a list stream resumed from its last id would
  // never see the final count. Before anything is served, such counts get their change now, in one
  // transaction (measured: 2.3 s if each of 100 000 deployments needs one; a crash leaves a second's worth).
  immediate(() => {
    for (const { id, userId } of q.unrecordedCounts.all()) q.markChanged.run({ id, userId })
  })()

  // Every transaction that reads and then writes starts IMMEDIATE: it takes the write lock first (waiting
  // up to busy_timeout for another process), so a concurrent writer can never invalidate what it read.
  const writeGroup = immediate(<T>(work: (writes: EventGroupWrites) => T): T => {
    const targets = new Map<string, GroupTarget>()
    const appender = events.openAppender()
    const value = work(groupWrites(targets, appender))
    appender.close()
    for (const target of targets.values()) writeCount(target)
    return value
  })

  const cancel = immediate((userId: string, id: string, now: number, audit: AuditEntry | null): DeploymentChange => {
    const deployment = q.get.get({ id, userId })
    if (!deployment) throw notFound('deployment')
    const transition = decideTransition(deployment, 'cancel')
    if (!transition) throw new AppError('CONFLICT', `deployment is already ${deployment.status}`)
    applyTransition(id, transition.to, transition.stamps, now)
    alertIfTerminal(userId, id, transition.to, now, undefined)
    // Same connection, same transaction: the record commits with the cancel or not at all.
    if (audit) writeAudit(db, audit)
    return markChanged(userId, id)
  })

  const setArchived = immediate((userId: string, id: string, archived: boolean, now: number): { change: DeploymentChange; moved: boolean } => {
    const row = q.get.get({ id, userId })
    if (!row) throw notFound('deployment')
    // Only a terminal deployment can be archived (docs/api.md §2.2); so only such a one is ever restored.
    if (archived && !isTerminal(row.status)) throw new AppError('CONFLICT', `deployment is ${row.status}: only a completed, failed or cancelled one can be archived`)
    if ((row.archivedAt !== null) === archived) return { change: toChange(row), moved: false }
    q.setArchived.run({ id, userId, archived: archived ? 1 : 0, now })
    return { change: markChanged(userId, id), moved: true }
  })

  const dispatchNext = immediate(
    (userId: string, agentId: string, satelliteIds: string[], now: number, prepare: (d: Deployment, planData: string) => unknown): DispatchResult<unknown> => {
      const next = q.nextPending.get({ userId, satellites: JSON.stringify(satelliteIds) })
      if (!next) return { kind: 'none' }
      const pending = toDeployment(q.get.get({ id: next.id, userId })!)
      const transition = decideTransition(pending, 'dispatch')!
      const deployment = { ...pending, status: transition.to, agentId, dispatchedAt: now }
      // Built before anything is written: a workload that cannot be built leaves the deployment as it was.
      let value: unknown
      try {
        value = prepare(deployment, q.planData.get({ id: deployment.planId })!.planData)
      } catch (error) {
        return { kind: 'unbuildable', deployment: pending, error }
      }
      q.dispatch.run({ id: next.id, agentId, now, from: transition.from, to: transition.to })
      return { kind: 'dispatched', value, change: markChanged(userId, next.id) }
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

  /**
   * Inside the transaction of a status change: the alert of a terminal status, for the owner's webhooks
   * that take it. `beforeRead` brings the deployment's row up to date first (its event count).
   */
  function alertIfTerminal(userId: string, id: string, status: DeploymentStatus, now: number, cause: StatusCause | undefined, beforeRead?: () => void) {
    const event = terminalAlert(status)
    if (!event || !alerts) return
    alerts.write(userId, event, () => {
      beforeRead?.()
      return deploymentAlertData(toDeployment(q.get.get({ id, userId })!), cause)
    }, now)
  }

  function applyTransition(id: string, status: DeploymentStatus, stamps: readonly StampedField[], now: number): DeploymentStatus {
    q.setStatus.run({
      id,
      status,
      now,
      stopsReplay: stopsReplay(status) ? 1 : 0,
      stampStarted: stamps.includes('started_at') ? 1 : 0,
      stampCompleted: stamps.includes('completed_at') ? 1 : 0,
    })
    return status
  }

  return {
    async insertDeployment(deployment, onDurable) {
      q.insert.run({ ...deployment, replayActive: deployment.replayActive ? 1 : 0 })
      const change = toChange(q.get.get({ id: deployment.id, userId: deployment.userId })!)
      if (onDurable) durable.afterDurable(() => onDurable(change))
      return change
    },
    async listDeployments(userId, { limit, after, statuses, missionId, mode, satelliteId, archived }) {
      // Without a cursor: from after the last instant (created_at is never that large).
      const from = after ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' }
      const filters = { statuses: statuses && JSON.stringify(statuses), missionId, mode, satelliteId, archived }
      return (q.list.all({ userId, limit, createdAt: from.createdAt, id: from.id, ...filters }) as DeploymentRow[]).map(toDeployment)
    },
    async getDeployment(userId, id) {
      const row = q.get.get({ id, userId })
      return row ? toDeployment(row) : null
    },
    async cancelDeployment(userId, id, now, audit, onDurable) {
      return settledAfter(() => {
        const change = cancel(userId, id, now, audit)
        if (onDurable) durable.afterDurable(() => onDurable(change))
        return change
      })
    },
    async setDeploymentArchived(userId, id, archived, now, onDurable) {
      return settledAfter(() => {
        const { change, moved } = setArchived(userId, id, archived, now)
        if (moved && onDurable) durable.afterDurable(() => onDurable(change))
        return change
      })
    },
    async listDeploymentChanges(userId, afterSeq, limit) {
      return q.changesAfter.all({ userId, after: afterSeq, limit }).map(toChange)
    },
    async lastChangeSeq(userId) {
      return q.lastChange.values(userId)[0]![0] as number
    },
    async markDeploymentsChanged(ids, onDurable) {
      const { value, durable: done } = durable.commitThenFlush(
        immediate(() =>
          ids.flatMap((id) => {
            const owner = q.owner.get({ id })
            return owner ? [markChanged(owner.userId, id)] : []
          }),
        ),
        onDurable,
      )
      await done
      return value
    },
    async whenDurable() {
      await durable.settled()
    },
    async getReportTarget(userId, deploymentId) {
      const row = q.reportState.get({ id: deploymentId, userId })
      if (!row) return null
      const { eventKey: _key, ...state } = row
      return state
    },
    // The scope is not needed here: SQLite reads synchronously, inside the transaction, as work asks.
    async writeEventGroup(_scope, work, onDurable) {
      // The hot path: committed without holding up the event loop for the WAL's flush, which `durable` awaits.
      return durable.commitThenFlush(() => writeGroup(work), onDurable)
    },
    async dispatchNext<T>(
      userId: string,
      agentId: string,
      satelliteIds: string[],
      now: number,
      prepare: (d: Deployment, planData: string) => T,
      onDurable?: (change: DeploymentChange) => void,
    ) {
      return settledAfter(() => {
        const result = dispatchNext(userId, agentId, satelliteIds, now, prepare) as DispatchResult<T>
        if (result.kind === 'dispatched' && onDurable) durable.afterDurable(() => onDurable(result.change))
        return result
      })
    },
    async listActiveReplays() {
      return q.activeReplays.all().map(toReplayState)
    },
    // One node plays every replay: there is no lease to take.
    async leaseReplays() {
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
    async listEventsByArrival(deploymentId, after, limit) {
      return events.listByArrival(deploymentId, after, limit)
    },
    async getEventCount(userId, deploymentId) {
      return q.eventCount.get({ id: deploymentId, userId })?.event_count ?? null
    },
    async storedBytes(userId) {
      return q.storedBytes.get(userId)!.bytes
    },
  }
}
