// Agents and their telemetry on SQLite. Agents are keyed by (user, agent id): the id is the agent's own.
// Each agent keeps only its newest telemetry samples (docs/lists.md).
import type { AgentStore } from '../types'
import { HELD_BY_AGENT_STATUSES } from '../../domain/deployment'
import type { Statement } from 'bun:sqlite'
import type { Db } from './db/open'
import type { DurableCommits } from './durable'
import { TELEMETRY_KEPT, TELEMETRY_PRUNE_EVERY, type Agent, type Store, type TelemetryRow } from '../types'

/** The statuses a lost agent leaves behind, as the statement reads them. */
const HELD_JSON = JSON.stringify(HELD_BY_AGENT_STATUSES)


const AGENT_COLUMNS = `user_id AS userId, id, satellite_id AS satelliteId, satellite_name AS satelliteName,
  agent_version AS agentVersion, orbit_altitude_km AS orbitAltitudeKm, status, registered_at AS registeredAt,
  last_seen_at AS lastSeenAt, last_heartbeat_at AS lastHeartbeatAt, last_telemetry AS lastTelemetry, created_at AS createdAt, lost_at AS lostAt`

/**
 * An agent's samples, newest first: both walk agent_telemetry_agent_idx (user_id, agent_id, received_at,
 * then the rowid seq) backwards from the page's start, without a sort (test/db/telemetry-plan.test.ts).
 */
export const TELEMETRY_PAGE_SQL = {
  first: `SELECT seq, received_at AS receivedAt, sample FROM agent_telemetry WHERE user_id = $userId AND agent_id = $id
    ORDER BY received_at DESC, seq DESC LIMIT $limit`,
  after: `SELECT seq, received_at AS receivedAt, sample FROM agent_telemetry WHERE user_id = $userId AND agent_id = $id
    AND (received_at, seq) < ($receivedAt, $seq) ORDER BY received_at DESC, seq DESC LIMIT $limit`,
}

export function createAgentStore(db: Db, durable: DurableCommits): AgentStore {
  const sqlite = db.$client
  const q = {
    touch: sqlite.prepare(`
      INSERT INTO agents (user_id, id, last_seen_at, created_at) VALUES ($userId, $id, $now, $now)
      ON CONFLICT (user_id, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, lost_at = NULL
      RETURNING ${AGENT_COLUMNS}`) as Statement<Agent>,
    // coalesce keeps a stored value where the registration leaves the field out (null here).
    register: sqlite.prepare(`
      INSERT INTO agents (user_id, id, satellite_id, satellite_name, agent_version, orbit_altitude_km, status, registered_at, last_seen_at, created_at)
      VALUES ($userId, $id, $satelliteId, $satelliteName, $agentVersion, $orbitAltitudeKm, 'idle', $now, $now, $now)
      ON CONFLICT (user_id, id) DO UPDATE SET
        satellite_id = coalesce(excluded.satellite_id, satellite_id),
        satellite_name = coalesce(excluded.satellite_name, satellite_name),
        agent_version = coalesce(excluded.agent_version, agent_version),
        orbit_altitude_km = coalesce(excluded.orbit_altitude_km, orbit_altitude_km),
        status = 'idle', registered_at = excluded.registered_at, last_seen_at = excluded.last_seen_at, lost_at = NULL
      RETURNING ${AGENT_COLUMNS}`) as Statement<Agent>,
    heartbeat: sqlite.prepare(`
      INSERT INTO agents (user_id, id, status, last_seen_at, last_heartbeat_at, last_telemetry, created_at)
      VALUES ($userId, $id, coalesce($status, 'idle'), $now, $now, $sample, $now)
      ON CONFLICT (user_id, id) DO UPDATE SET status = coalesce($status, status), last_seen_at = $now,
        last_heartbeat_at = $now, last_telemetry = $sample, lost_at = NULL`),
    sample: sqlite.prepare('INSERT INTO agent_telemetry (user_id, agent_id, received_at, sample) VALUES ($userId, $id, $now, $sample)'),
    // Deletes the samples older than the agent's TELEMETRY_KEPT-th newest, walking only this agent's part
    // of agent_telemetry_agent_idx (whose last column is the rowid, seq: the tie-break of equal instants).
    prune: sqlite.prepare(`
      DELETE FROM agent_telemetry WHERE user_id = $userId AND agent_id = $id AND (received_at, seq) < (
        SELECT received_at, seq FROM agent_telemetry WHERE user_id = $userId AND agent_id = $id
        ORDER BY received_at DESC, seq DESC LIMIT 1 OFFSET ${TELEMETRY_KEPT - 1})`),
    // Both walk agents_user_created_idx (user_id, created_at, id) backwards: no sort, whatever the page.
    first: sqlite.prepare(`SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $userId
      ORDER BY created_at DESC, id DESC LIMIT $limit`) as Statement<Agent>,
    after: sqlite.prepare(`SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $userId AND (created_at, id) < ($createdAt, $afterId)
      ORDER BY created_at DESC, id DESC LIMIT $limit`) as Statement<Agent>,
    one: sqlite.prepare(`SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $userId AND id = $id`) as Statement<Agent>,
    // Its samples go with it (agent_telemetry's foreign key cascades); deployments keep their agent_id.
    remove: sqlite.prepare('DELETE FROM agents WHERE user_id = $userId AND id = $id'),
    // In key order (the primary key), the silent ones tested on the way: the agents table is small (one row
    // per satellite), so a sweep reads it in pages of this query without an index on last_seen_at.
    silent: sqlite.prepare(`SELECT user_id AS userId, id, last_seen_at AS lastSeenAt FROM agents
      WHERE (user_id, id) > ($userId, $id) AND lost_at IS NULL AND last_seen_at < $cutoff
      ORDER BY user_id, id LIMIT $limit`) as Statement<{ userId: string; id: string; lastSeenAt: number }>,
    // Along deployments_user_idx (the user's deployments): no index leads with agent_id. Run once per agent
    // found lost, under --agent-lost-policy fail only.
    liveDeployments: sqlite.prepare(`SELECT id FROM deployments WHERE user_id = $userId AND agent_id = $id
      AND status IN (SELECT value FROM json_each($held)) ORDER BY created_at, id`) as Statement<{ id: string }>,
    markLost: sqlite.prepare(`UPDATE agents SET lost_at = $now
      WHERE user_id = $userId AND id = $id AND lost_at IS NULL AND last_seen_at < $cutoff`),
    telemetryFirst: sqlite.prepare(TELEMETRY_PAGE_SQL.first) as Statement<TelemetryRow>,
    telemetryAfter: sqlite.prepare(TELEMETRY_PAGE_SQL.after) as Statement<TelemetryRow>,
  }
  /**
   * Samples stored per agent since its last pruning, in this process. An agent unknown here (a restart, a
   * cleared map) is pruned at its next sample, so the bound holds across restarts.
   */
  const sinceLastPrune = new Map<string, number>()

  return {
    // Presence is not acknowledged data: it commits without waiting for a flush (durable.ts).
    async touchAgent(userId, id, now) {
      return durable.commitUnflushed(() => q.touch.get({ userId, id, now })!)
    },
    async registerAgent(userId, id, fields, now) {
      return durable.commit(() => q.register.get({
        userId,
        id,
        now,
        satelliteId: fields.satelliteId ?? null,
        satelliteName: fields.satelliteName ?? null,
        agentVersion: fields.agentVersion ?? null,
        orbitAltitudeKm: fields.orbitAltitudeKm ?? null,
      })!)
    },
    async recordTelemetry(userId, id, { status, json }, now) {
      const key = `${userId}\n${id}`
      const count = sinceLastPrune.get(key) ?? 0
      // Answered {"ok": true} once on disk, flushed off the event loop like event reports.
      await durable.commit(() =>
        sqlite
          .transaction(() => {
            q.heartbeat.run({ userId, id, now, status: status ?? null, sample: json })
            q.sample.run({ userId, id, now, sample: json })
            if (count === 0) q.prune.run({ userId, id })
          })
          .immediate(),
      )
      if (sinceLastPrune.size > 100_000) sinceLastPrune.clear()
      sinceLastPrune.set(key, (count + 1) % TELEMETRY_PRUNE_EVERY)
    },
    async listAgents(userId, { limit, after }) {
      return after ? q.after.all({ userId, limit, createdAt: after.createdAt, afterId: after.id }) : q.first.all({ userId, limit })
    },
    async getAgent(userId, id) {
      return q.one.get({ userId, id }) ?? null
    },
    async deleteAgent(userId, id) {
      const deleted = await durable.commit(() => sqlite.transaction(() => q.remove.run({ userId, id }).changes).immediate())
      sinceLastPrune.delete(`${userId}\n${id}`)
      return deleted > 0
    },
    async listSilentAgents(cutoff, after, limit) {
      return q.silent.all({ userId: after?.userId ?? '', id: after?.id ?? '', cutoff, limit })
    },
    async listAgentLiveDeployments(userId, id) {
      return q.liveDeployments.all({ userId, id, held: HELD_JSON }).map((row) => row.id)
    },
    async markAgentLost(userId, id, cutoff, now) {
      return (await durable.commit(() => q.markLost.run({ userId, id, cutoff, now }).changes)) > 0
    },
    async listTelemetry(userId, id, { limit, after }) {
      return after ? q.telemetryAfter.all({ userId, id, limit, receivedAt: after.receivedAt, seq: after.seq }) : q.telemetryFirst.all({ userId, id, limit })
    },
  }
}
