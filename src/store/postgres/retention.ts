// Retention on PostgreSQL (docs/operations.md "Retention"; the SQLite twin is src/store/sqlite/retention.ts):
// deletes old events of terminal deployments and old telemetry samples, one small transaction at a time;
// src/services/retention.ts paces the batches. Several nodes may prune at once: each batch locks the
// deployment it prunes, as every write of its events does, so its counters move with its events.
import type { PgDb } from './db/open'
import type { Store, RetentionStore } from '../types'
import { TERMINAL_STATUSES } from '../../domain/deployment'
import { EVENT_ROW_BYTES } from '../../domain/quota'
import { int, transaction, type Sql } from './tx'


/**
 * One batch of one deployment with `tx`: a terminal deployment finished before the cut-off with more than
 * its last event left, its row locked first (the lock order of every deployment write; one held by a
 * writer is waited for and looked at again, so a deployment is never passed over), then up to
 * `limit` of its oldest events in list order (event_timestamp, arrival: events_list_idx) but never its
 * last arrival, which stays so that arrival numbers (the stream's ids) are never handed out again; its
 * last_arrival column is left alone for the same reason.
 */
async function pruneBatch(tx: Sql, cutoff: number, limit: number): Promise<{ deleted: number; deploymentId: string | null }> {
  const id = await lockCandidate(tx, cutoff)
  if (id === null) return { deleted: 0, deploymentId: null }
  // What each takes, as src/domain/quota.ts eventSize counts it.
  const [gone] = await tx`
    WITH victims AS (
      SELECT arrival FROM events WHERE deployment_id = ${id}
        AND arrival < (SELECT max(arrival) FROM events WHERE deployment_id = ${id})
      ORDER BY event_timestamp, arrival LIMIT ${limit}),
    dropped AS (
      DELETE FROM events e USING victims v WHERE e.deployment_id = ${id} AND e.arrival = v.arrival
      RETURNING octet_length(e.payload) + octet_length(e.event_type) + coalesce(octet_length(e.job_id), 0)
        + coalesce(octet_length(e.step_id), 0) + ${EVENT_ROW_BYTES}::int8 AS size)
    SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM dropped`
  const deleted = int(gone!.n)
  if (deleted === 0) {
    // A counter that says more than the rows left (it never should): set to the rows, so the deployment
    // stops being a candidate instead of holding up every other one.
    await tx`UPDATE deployments SET event_count = (SELECT count(*) FROM events WHERE deployment_id = ${id}) WHERE id = ${id}`
    return { deleted: 0, deploymentId: id }
  }
  await tx`UPDATE deployments SET event_count = event_count - ${deleted}, stored_bytes = greatest(0, stored_bytes - ${int(gone!.bytes)}::int8)
    WHERE id = ${id}`
  return { deleted, deploymentId: id }
}

/** How many rounds lockCandidate makes before it answers none. */
const CANDIDATE_ROUNDS = 3

/**
 * A candidate deployment of pruneBatch, locked, or null once there is none. One no one holds is taken
 * first (two nodes sweeping at once take different ones); else one that is held is waited for (a writer,
 * or another node's open, holds rows for a moment: a candidate is never passed over for that). Null is
 * answered only when a read made after those waits sees no candidate left (one committed while this
 * waited is picked in the next round), or after a few rounds of losing every candidate to other sweeps.
 */
async function lockCandidate(tx: Sql, cutoff: number): Promise<string | null> {
  const terminal = tx.array([...TERMINAL_STATUSES], 'TEXT')
  const candidates = () => tx`status = ANY(${terminal}) AND completed_at < ${cutoff} AND event_count > 1`
  for (let round = 0; round < CANDIDATE_ROUNDS; round++) {
    const [free] = await tx`SELECT id FROM deployments WHERE ${candidates()} LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`
    if (free) return free.id as string
    const [held] = await tx`SELECT id FROM deployments WHERE ${candidates()} LIMIT 1 FOR NO KEY UPDATE`
    if (held) return held.id as string
    const [left] = await tx`SELECT id FROM deployments WHERE ${candidates()} LIMIT 1`
    if (!left) return null
  }
  return null
}

export function createRetentionStore(db: PgDb): RetentionStore {
  const sql = db.$client
  return {
    async pruneDeploymentEvents(cutoff, limit) {
      return transaction(sql, (tx) => pruneBatch(tx, cutoff, limit))
    },
    // The next agent in key order and its samples received before the cut-off, in one statement: each
    // agent holds at most about TELEMETRY_KEPT samples.
    async pruneAgentTelemetry(cutoff, after) {
      const [row] = await sql`
        WITH agent AS (SELECT user_id, id FROM agents WHERE (user_id, id) > (${after?.userId ?? ''}, ${after?.id ?? ''})
          ORDER BY user_id, id LIMIT 1),
        dropped AS (DELETE FROM agent_telemetry t USING agent a
          WHERE t.user_id = a.user_id AND t.agent_id = a.id AND t.received_at < ${cutoff} RETURNING 1)
        SELECT a.user_id, a.id, (SELECT count(*) FROM dropped) AS deleted FROM agent a`
      if (!row) return { deleted: 0, next: null }
      return { deleted: int(row.deleted), next: { userId: row.user_id as string, id: row.id as string } }
    },
  }
}
