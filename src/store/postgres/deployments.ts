// The deployments on PostgreSQL (docs/postgres.md): creating, listing, cancelling and archiving them,
// their owner's change sequence (docs/api.md §3.3), handing them to agents (dispatch) and leasing the
// replays of simulated ones to the node that plays them. Their events are events.ts's. Several nodes
// write at once: every change locks its deployment rows first (in id order), then takes its number from
// the owner's change_counters row (deployment-rows.ts takeChangeSeqs), and tells the other nodes
// (news.ts) in the same transaction. The twin is src/store/sqlite/deployments.ts.
import type { AuditEntry } from '../../domain/audit'
import { decideTransition, isTerminal, stopsReplay, type DeploymentStatus, type StampedField } from '../../domain/deployment'
import { AppError, notFound } from '../../domain/errors'
import { deploymentAlertData, terminalAlert } from '../../domain/webhooks'
import type { Deployment, DeploymentChange, DeploymentPage, DispatchResult, ReplayState, Store } from '../types'
import type { PgAlertOutbox } from './alerts'
import { writeAudit } from './audit-write'
import type { PgDb } from './db/open'
import { DEPLOYMENT_FROM, readChanges, readDeployment, takeChangeSeqs, toChange, toDeployment, type DeploymentRow } from './deployment-rows'
import { createEventStore } from './events'
import { notifyNews } from './news'
import { int, intOrNull, transaction, type Sql } from './tx'

export type DeploymentStoreOptions = {
  /** Webhook alerts of terminal statuses, written in the status change's transaction. */
  alerts: PgAlertOutbox
  /** This node's id: a replay created here is leased to it; its notices name it (news.ts). */
  nodeId: string
  /** meta.event_id_secret: the key of event ids and content digests. */
  secret: number
  /** How long a replay lease lasts from creation or renewal, in microseconds. */
  replayLeaseMicros: number
}

type DeploymentStore = Pick<
  Store,
  | 'insertDeployment'
  | 'storedBytes'
  | 'listDeployments'
  | 'getDeployment'
  | 'cancelDeployment'
  | 'setDeploymentArchived'
  | 'listDeploymentChanges'
  | 'lastChangeSeq'
  | 'markDeploymentsChanged'
  | 'dispatchNext'
  | 'listActiveReplays'
  | 'leaseReplays'
>

/**
 * A page of the list (docs/lists.md): newest first along deployments_user_idx (user_id, created_at, id),
 * ties of one instant sorted by id; the filters are tested on the rows in that range.
 */
const LIST_SQL = `${DEPLOYMENT_FROM}
  WHERE d.user_id = $1 AND (d.created_at, d.id) < ($2::int8, $3::text)
    AND ($4::text[] IS NULL OR d.status = ANY($4::text[]))
    AND ($5::text IS NULL OR d.mission_id = $5::text)
    AND ($6::text IS NULL OR d.mode = $6::text)
    AND ($7::text IS NULL OR d.satellite_id = $7::text)
    AND ($8::text = 'include' OR (d.archived_at IS NOT NULL) = ($8::text = 'only'))
  ORDER BY d.created_at DESC, d.id DESC LIMIT $9::int8`

/** The owner's changes after a number, in change order, along deployments_change_idx (user_id, change_seq). */
const CHANGES_SQL = `${DEPLOYMENT_FROM}
  WHERE d.user_id = $1 AND d.change_seq > $2::int8 ORDER BY d.change_seq LIMIT $3::int8`

/**
 * The oldest pending live deployment of the user for one of the agent's satellites, read without a lock
 * (docs/postgres.md "Dispatch to one agent"). The WHERE repeats deployments_dispatch_idx's predicate
 * (status = 'pending' AND mode = 'live') so that index serves it.
 */
const NEXT_PENDING_SQL = `
  SELECT id FROM deployments
  WHERE user_id = $1 AND status = 'pending' AND mode = 'live' AND satellite_id = ANY($2::text[])
  ORDER BY created_at, id LIMIT 1`

/** How many times a poll picks again when the deployment it waited for was no longer pending once free. */
const DISPATCH_PICKS = 5

/**
 * The oldest pending deployment `dispatch` hands out, locked, or null when there is none. The user's polls
 * take turns (a transaction-scoped advisory lock keyed by the user id), so two polls never wait for the
 * same row; the row is then locked with FOR UPDATE, waiting if anything else holds it for a moment (an
 * event group, a cancel, the count timer) instead of skipping it, as SKIP LOCKED would, for a younger one.
 * If it is no longer pending once free (cancelled meanwhile), the pick runs again.
 */
async function lockOldestPending(tx: Sql, userId: string, satelliteIds: string[]): Promise<string | null> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${userId}, 0))`
  for (let pick = 0; pick < DISPATCH_PICKS; pick++) {
    const [next] = await tx.unsafe(NEXT_PENDING_SQL, [userId, satelliteIds])
    if (!next) return null
    const id = (next as { id: string }).id
    const [locked] = await tx`SELECT id FROM deployments WHERE id = ${id} AND status = 'pending' FOR UPDATE`
    if (locked) return id
  }
  return null
}

const REPLAY_COLUMNS = 'id, user_id, plan_id, status, started_at, speed_multiplier, replay_cursor, replay_active'

/**
 * Leases to this node ($1), until $3, every active replay it holds or whose lease ran out before $2
 * (docs/postgres.md "Replays"). Its own are waited for (an event group of this node may hold one for a
 * moment; it must not lose it for that), in id order as every writer locks them; others' run-out ones
 * are taken only when no one holds them, so two nodes never take the same one at once.
 */
const LEASE_SQL = `
  WITH own AS (
    SELECT id FROM deployments WHERE replay_active = 1 AND replay_owner = $1 ORDER BY id FOR UPDATE
  ), free AS (
    SELECT id FROM deployments
    WHERE replay_active = 1 AND (replay_lease_until IS NULL OR replay_lease_until < $2::int8)
    FOR UPDATE SKIP LOCKED
  )
  UPDATE deployments SET replay_owner = $1, replay_lease_until = $3::int8
  WHERE id IN (SELECT id FROM own UNION SELECT id FROM free)
  RETURNING ${REPLAY_COLUMNS}`

const toReplayState = (row: Record<string, unknown>): ReplayState => ({
  id: row.id as string,
  userId: row.user_id as string,
  planId: row.plan_id as string,
  status: row.status as DeploymentStatus,
  startedAt: intOrNull(row.started_at),
  speedMultiplier: Number(row.speed_multiplier),
  replayCursor: int(row.replay_cursor),
  replayActive: int(row.replay_active) === 1,
})

/** Thrown inside dispatchNext's transaction when the workload cannot be built: it rolls back, and the poll answers unbuildable. */
class Unbuildable {
  constructor(
    readonly deployment: Deployment,
    readonly error: unknown,
  ) {}
}

/**
 * Gives one deployment, already locked by the caller, its owner's next change number (the change carries
 * its event count as it is now) and answers it as the list shows it, as this transaction leaves it.
 */
async function markOne(tx: Sql, userId: string, id: string): Promise<DeploymentChange> {
  const seq = await takeChangeSeqs(tx, userId, 1)
  await tx`UPDATE deployments SET change_seq = ${seq}, change_count = event_count WHERE id = ${id}`
  return { seq, deployment: (await readDeployment(tx, userId, id))! }
}

/**
 * Gives each of these deployments its owner's next change number, in the order given (an id given twice
 * takes two; unknown ids are skipped), and answers them as changed. Locks the rows in id order, then the
 * owners' counters in user order (the lock order of docs/postgres.md).
 */
async function markMany(tx: Sql, ids: readonly string[]): Promise<DeploymentChange[]> {
  const rows = await tx.unsafe('SELECT id, user_id FROM deployments WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[...new Set(ids)]])
  const owners = new Map((rows as Array<{ id: string; user_id: string }>).map((row) => [row.id, row.user_id]))
  const known = ids.filter((id) => owners.has(id))
  const seqs: number[] = new Array(known.length)
  for (const userId of [...new Set(owners.values())].sort()) {
    const positions = known.flatMap((id, i) => (owners.get(id) === userId ? [i] : []))
    const first = await takeChangeSeqs(tx, userId, positions.length)
    positions.forEach((position, n) => (seqs[position] = first + n))
  }
  // A deployment's latest number is its last one given.
  const latest = new Map(known.map((id, i) => [id, seqs[i]!]))
  await tx.unsafe(
    `UPDATE deployments d SET change_seq = v.seq, change_count = d.event_count
     FROM unnest($1::text[], $2::int8[]) AS v(id, seq) WHERE d.id = v.id`,
    [[...latest.keys()], [...latest.values()]],
  )
  const changed = new Map((await readChanges(tx, [...latest.keys()])).map((change) => [change.deployment.id, change.deployment]))
  return known.map((id, i) => ({ seq: seqs[i]!, deployment: changed.get(id)! }))
}

/** Moves the deployment's status, stamping what the transition names; a status that stops the replay drops its lease too. */
async function applyTransition(tx: Sql, id: string, status: DeploymentStatus, stamps: readonly StampedField[], now: number) {
  const stops = stopsReplay(status)
  await tx`UPDATE deployments SET status = ${status},
      replay_active = CASE WHEN ${stops} THEN 0 ELSE replay_active END,
      replay_owner = CASE WHEN ${stops} THEN NULL ELSE replay_owner END,
      replay_lease_until = CASE WHEN ${stops} THEN NULL ELSE replay_lease_until END,
      started_at = CASE WHEN ${stamps.includes('started_at')} THEN coalesce(started_at, ${now}::int8) ELSE started_at END,
      completed_at = CASE WHEN ${stamps.includes('completed_at')} THEN ${now}::int8 ELSE completed_at END
    WHERE id = ${id}`
}

/** What the transactions below need: the pool and the store's options. */
type Ctx = { sql: Sql; options: DeploymentStoreOptions }

/** A deployment's status moved, or (`status` false) only its place in its owner's list: the other nodes are told at commit. */
const news = (tx: Sql, { options }: Ctx, userId: string, deploymentId: string, status = true) =>
  notifyNews(tx, options.nodeId, [{ userId, deploymentId, events: null, status, changed: true }])
/** Deployments whose owners' lists changed (their counts), told in one statement. */
const listNews = (tx: Sql, { options }: Ctx, changes: readonly DeploymentChange[]) =>
  notifyNews(tx, options.nodeId, changes.map((change) => ({ userId: change.deployment.userId, deploymentId: change.deployment.id, events: null, status: false, changed: true })))

/** The deployments, and their events (events.ts). */
export function createDeploymentStore(db: PgDb, options: DeploymentStoreOptions): DeploymentStore & ReturnType<typeof createEventStore> {
  const ctx: Ctx = { sql: db.$client, options }
  // The calls below wait for it (a failure leaves those counts for the next start).
  const ready = recoverUnrecordedCounts(ctx).catch(() => {})
  return { ...writeMethods(ctx, ready), ...readMethods(ctx, ready), ...createEventStore(db, options) }
}

/**
 * A count that moved is given its change by a timer, a second later (src/services/reports.ts): a node that
 * died within that second left it without one. As the twin does at open, such counts get their change now,
 * in the order of their latest changes.
 */
async function recoverUnrecordedCounts(ctx: Ctx) {
  await transaction(ctx.sql, async (tx) => {
    const rows = await tx`SELECT id, user_id, change_seq FROM deployments WHERE event_count <> change_count ORDER BY id FOR UPDATE`
    const ordered = (rows as Array<{ id: string; user_id: string; change_seq: unknown }>).sort((a, b) =>
      a.user_id === b.user_id ? int(a.change_seq) - int(b.change_seq) : a.user_id < b.user_id ? -1 : 1,
    )
    const changes = await markMany(tx, ordered.map((row) => row.id))
    await listNews(tx, ctx, changes)
  })
}

/** Inside the transaction of a status change: the alert of a terminal status, for the owner's webhooks that take it (docs/api.md §1 "Webhooks"). */
async function alertIfTerminal(tx: Sql, ctx: Ctx, deployment: Deployment, status: DeploymentStatus, now: number) {
  const event = terminalAlert(status)
  if (event) await ctx.options.alerts.write(tx, deployment.userId, event, () => deploymentAlertData(deployment), now)
}

async function cancel(ctx: Ctx, userId: string, id: string, now: number, audit: AuditEntry | null): Promise<DeploymentChange> {
  return transaction(ctx.sql, async (tx) => {
    const [row] = await tx`SELECT status, mode FROM deployments WHERE id = ${id} AND user_id = ${userId} FOR UPDATE`
    if (!row) throw notFound('deployment')
    const transition = decideTransition(row as Pick<Deployment, 'status' | 'mode'>, 'cancel')
    if (!transition) throw new AppError('CONFLICT', `deployment is already ${row.status}`)
    await applyTransition(tx, id, transition.to, transition.stamps, now)
    const change = await markOne(tx, userId, id)
    await alertIfTerminal(tx, ctx, change.deployment, transition.to, now)
    // The record commits with the cancel or not at all.
    if (audit) await writeAudit(tx, audit)
    await news(tx, ctx, userId, id)
    return change
  })
}

async function setArchived(ctx: Ctx, userId: string, id: string, archived: boolean, now: number): Promise<{ change: DeploymentChange; moved: boolean }> {
  return transaction(ctx.sql, async (tx) => {
    const [row] = await tx.unsafe(`${DEPLOYMENT_FROM} WHERE d.id = $1 AND d.user_id = $2 FOR UPDATE OF d`, [id, userId])
    if (!row) throw notFound('deployment')
    const current = toChange(row as DeploymentRow)
    const status = current.deployment.status
    // Only a terminal deployment can be archived (docs/api.md §2.2); so only such a one is ever restored.
    if (archived && !isTerminal(status)) throw new AppError('CONFLICT', `deployment is ${status}: only a completed, failed or cancelled one can be archived`)
    if ((current.deployment.archivedAt !== null) === archived) return { change: current, moved: false }
    // Archiving keeps an archived_at already set; restoring clears it.
    await tx`UPDATE deployments SET archived_at = CASE WHEN ${archived} THEN coalesce(archived_at, ${now}::int8) ELSE NULL END WHERE id = ${id}`
    const change = await markOne(tx, userId, id)
    await news(tx, ctx, userId, id, false)
    return { change, moved: true }
  })
}

/** One poll's transaction: picks, builds (`prepare`, whose failure throws Unbuildable out of it: nothing is written), then moves. */
async function dispatch<T>(ctx: Ctx, userId: string, agentId: string, satelliteIds: string[], now: number, prepare: (d: Deployment, planData: string) => T): Promise<DispatchResult<T>> {
  return transaction(ctx.sql, async (tx): Promise<DispatchResult<T>> => {
    const id = await lockOldestPending(tx, userId, satelliteIds)
    if (id === null) return { kind: 'none' }
    const pending = (await readDeployment(tx, userId, id))!
    const transition = decideTransition(pending, 'dispatch')!
    const deployment = { ...pending, status: transition.to, agentId, dispatchedAt: now }
    const [plan] = await tx`SELECT plan_data FROM plans WHERE id = ${pending.planId}`
    // Built before anything is written: a workload that cannot be built leaves the deployment as it was.
    let value: T
    try {
      value = prepare(deployment, plan!.plan_data as string)
    } catch (error) {
      throw new Unbuildable(pending, error)
    }
    // The statuses come from the transition decided, not from this SQL; the WHERE keeps it conditional.
    await tx`UPDATE deployments SET status = ${transition.to}, agent_id = ${agentId}, dispatched_at = ${now}::int8
      WHERE id = ${id} AND status = ${transition.from}`
    const change = await markOne(tx, userId, id)
    await news(tx, ctx, userId, id)
    return { kind: 'dispatched', value, change }
  })
}

type WriteMethods = Pick<DeploymentStore, 'insertDeployment' | 'cancelDeployment' | 'setDeploymentArchived' | 'markDeploymentsChanged' | 'dispatchNext' | 'leaseReplays'>

/** The writes: each one transaction, its onDurable told once COMMIT has answered (synchronous_commit: durable). */
function writeMethods(ctx: Ctx, ready: Promise<void>): WriteMethods {
  const { sql, options } = ctx
  return {
    async insertDeployment(deployment, onDurable) {
      await ready
      const change = await transaction(sql, async (tx) => {
        await insertRow(tx, deployment, options.nodeId, options.replayLeaseMicros)
        const change = await markOne(tx, deployment.userId, deployment.id)
        await news(tx, ctx, deployment.userId, deployment.id, false)
        return change
      })
      onDurable?.(change)
      return change
    },
    async cancelDeployment(userId, id, now, audit, onDurable) {
      await ready
      const change = await cancel(ctx, userId, id, now, audit)
      onDurable?.(change)
      return change
    },
    async setDeploymentArchived(userId, id, archived, now, onDurable) {
      await ready
      const { change, moved } = await setArchived(ctx, userId, id, archived, now)
      if (moved) onDurable?.(change)
      return change
    },
    async markDeploymentsChanged(ids, onDurable) {
      await ready
      const changes = await transaction(sql, async (tx) => {
        const changes = await markMany(tx, ids)
        await listNews(tx, ctx, changes)
        return changes
      })
      onDurable?.(changes)
      return changes
    },
    async dispatchNext(userId, agentId, satelliteIds, now, prepare, onDurable) {
      await ready
      let result
      try {
        result = await dispatch(ctx, userId, agentId, satelliteIds, now, prepare)
      } catch (error) {
        if (error instanceof Unbuildable) return { kind: 'unbuildable', deployment: error.deployment, error: error.error }
        throw error
      }
      if (result.kind === 'dispatched') onDurable?.(result.change)
      return result
    },
    async leaseReplays(now, until) {
      await ready
      // In a transaction only for its retry: waiting for its own rows, it may lose a deadlock race.
      const rows = await transaction(sql, (tx) => tx.unsafe(LEASE_SQL, [options.nodeId, now, until]))
      return (rows as Array<Record<string, unknown>>).map(toReplayState)
    },
  }
}

/** The reads: one statement each, on the pool. */
function readMethods({ sql }: Ctx, ready: Promise<void>): Omit<DeploymentStore, keyof WriteMethods> {
  return {
    async listDeployments(userId, page) {
      await ready
      return ((await sql.unsafe(LIST_SQL, listParams(userId, page))) as DeploymentRow[]).map(toDeployment)
    },
    async getDeployment(userId, id) {
      await ready
      return readDeployment(sql, userId, id)
    },
    async listDeploymentChanges(userId, afterSeq, limit) {
      await ready
      return ((await sql.unsafe(CHANGES_SQL, [userId, afterSeq, limit])) as DeploymentRow[]).map(toChange)
    },
    async lastChangeSeq(userId) {
      await ready
      const [row] = await sql`SELECT seq FROM change_counters WHERE user_id = ${userId}`
      return row ? int(row.seq) : 0
    },
    async listActiveReplays() {
      await ready
      const rows = await sql.unsafe(`SELECT ${REPLAY_COLUMNS} FROM deployments WHERE replay_active = 1 ORDER BY created_at, id`)
      return (rows as Array<Record<string, unknown>>).map(toReplayState)
    },
    async storedBytes(userId) {
      await ready
      const [row] = await sql`SELECT coalesce(sum(stored_bytes), 0) AS bytes FROM deployments WHERE user_id = ${userId}`
      return int(row!.bytes)
    },
  }
}

/** The list query's parameters: without a cursor, from after the last instant (created_at is never that large). */
function listParams(userId: string, { limit, after, statuses, missionId, mode, satelliteId, archived }: DeploymentPage): unknown[] {
  const from = after ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '' }
  return [userId, from.createdAt, from.id, statuses, missionId, mode, satelliteId, archived, limit]
}

/**
 * Inserts the deployment's row (its change number is given next, by markOne). Its change carries the count
 * it starts with. A simulated one inserted already started is leased to this node from its creation
 * (docs/postgres.md "Replays").
 */
async function insertRow(tx: Sql, d: Parameters<Store['insertDeployment']>[0], nodeId: string, leaseMicros: number) {
  const owner = d.replayActive ? nodeId : null
  const leaseUntil = d.replayActive ? d.createdAt + leaseMicros : null
  await tx`INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, agent_id,
      created_at, dispatched_at, started_at, completed_at, event_count, change_count, replay_active, replay_owner, replay_lease_until)
    VALUES (${d.id}, ${d.userId}, ${d.missionId}, ${d.planId}, ${d.satelliteId}, ${d.status}, ${d.mode}, ${d.speedMultiplier}, ${d.agentId},
      ${d.createdAt}::int8, ${d.dispatchedAt}::int8, ${d.startedAt}::int8, ${d.completedAt}::int8, ${d.eventCount}::int8, ${d.eventCount}::int8,
      ${d.replayActive ? 1 : 0}, ${owner}, ${leaseUntil}::int8)`
}
