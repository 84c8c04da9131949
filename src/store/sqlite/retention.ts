// Retention (docs/operations.md "Retention"): deletes old events of terminal deployments and old telemetry
// samples, one small transaction at a time; src/services/retention.ts paces the batches with turns of the
// event loop between them, so that ingestion never waits behind a large prune.
import type { Statement } from 'bun:sqlite'
import type { Db } from './db/open'
import type { DurableCommits } from './durable'
import type { Store, RetentionStore } from '../types'
import { TERMINAL_STATUSES } from '../../domain/deployment'
import { EVENT_ROW_BYTES } from '../../domain/quota'

/** The domain's terminal statuses (src/domain/deployment.ts) as an SQL list: a constant text, so the plan does not change. */
const TERMINAL_SQL = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(', ')


type Candidate = { id: string; eventKey: number }
type Victim = [timestamp: number, seq: number, big: number, payloadRef: number | null, bytes: number]

export function createRetentionStore(db: Db, durable: DurableCommits): RetentionStore {
  const sqlite = db.$client
  const q = {
    // A terminal deployment finished before the cut-off with more than its last event left. The deployments
    // table is small next to events: a scan of it per batch costs microseconds per deployment.
    candidate: sqlite.prepare(`SELECT id, event_key AS eventKey FROM deployments
      WHERE status IN (${TERMINAL_SQL}) AND completed_at < $cutoff AND event_count > 1 AND event_key IS NOT NULL
      LIMIT 1`) as Statement<Candidate>,
    lastArrival: sqlite.prepare('SELECT max(arrival) FROM events WHERE deployment_key = ?'),
    // Along the clustered key, every event but the last arrival (kept so that arrival numbers, the stream's
    // ids, are never handed out again to a late report).
    // With what each takes, as src/domain/quota.ts eventSize (and migration 0006) counts it.
    victims: sqlite.prepare(`SELECT event_timestamp, seq, payload IS NULL, payload_ref,
        coalesce(length(CAST(payload AS BLOB)), (SELECT length(CAST(p.payload AS BLOB)) FROM event_payloads p WHERE p.seq = coalesce(payload_ref, seq)), 0)
        + length(CAST(event_type AS BLOB)) + coalesce(length(CAST(job_id AS BLOB)), 0) + coalesce(length(CAST(step_id AS BLOB)), 0) + ${EVENT_ROW_BYTES}
      FROM events WHERE deployment_key = ?1 AND (arrival IS NULL OR arrival < ?2) LIMIT ?3`),
    dropPayload: sqlite.prepare('DELETE FROM event_payloads WHERE seq = ?'),
    dropEvent: sqlite.prepare('DELETE FROM events WHERE deployment_key = ? AND event_timestamp = ? AND seq = ?'),
    recount: sqlite.prepare('UPDATE deployments SET event_count = event_count - ?, stored_bytes = max(0, stored_bytes - ?) WHERE id = ?'),
    // A counter that says more than the rows left (it never should): set to the rows, so the deployment
    // stops being a candidate instead of holding up every other one.
    resync: sqlite.prepare('UPDATE deployments SET event_count = (SELECT count(*) FROM events WHERE deployment_key = ?) WHERE id = ?'),
    // Agents in key order, one at a time: each holds at most about TELEMETRY_KEPT samples.
    agentAfter: sqlite.prepare(`SELECT user_id AS userId, id FROM agents WHERE (user_id, id) > ($userId, $id)
      ORDER BY user_id, id LIMIT 1`) as Statement<{ userId: string; id: string }>,
    dropSamples: sqlite.prepare(`DELETE FROM agent_telemetry WHERE user_id = $userId AND agent_id = $id AND received_at < $cutoff`),
  }
  return {
    async pruneDeploymentEvents(cutoff, limit) {
      // Deletions are announced to nobody: they commit without waiting for a flush (a power cut may
      // bring some rows back, and the next sweep deletes them again).
      return durable.commitUnflushed(() =>
        sqlite
          .transaction(() => {
            const target = q.candidate.get({ cutoff })
            if (!target) return { deleted: 0, deploymentId: null }
            const last = (q.lastArrival.values(target.eventKey)[0]?.[0] as number | null) ?? 0
            const rows = q.victims.values(target.eventKey, last, limit) as Victim[]
            if (rows.length === 0) {
              q.resync.run(target.eventKey, target.id)
              return { deleted: 0, deploymentId: target.id }
            }
            let bytes = 0
            for (const [timestamp, seq, big, payloadRef, size] of rows) {
              // A payload kept out of its row: under the event's seq, or staged under its payload_ref.
              if (big) q.dropPayload.run(payloadRef ?? seq)
              q.dropEvent.run(target.eventKey, timestamp, seq)
              bytes += size
            }
            q.recount.run(rows.length, bytes, target.id)
            return { deleted: rows.length, deploymentId: target.id }
          })
          .immediate(),
      )
    },
    async pruneAgentTelemetry(cutoff, after) {
      return durable.commitUnflushed(() =>
        sqlite
          .transaction(() => {
            const agent = q.agentAfter.get({ userId: after?.userId ?? '', id: after?.id ?? '' })
            if (!agent) return { deleted: 0, next: null }
            const deleted = q.dropSamples.run({ userId: agent.userId, id: agent.id, cutoff }).changes
            return { deleted, next: agent }
          })
          .immediate(),
      )
    },
  }
}
