// Agents and their telemetry on PostgreSQL (docs/api.md §4; the SQLite twin is src/store/sqlite/agents.ts).
// Agents are keyed by (user, agent id): the id is the agent's own. Every write is an upsert
// (`INSERT … ON CONFLICT (user_id, id) DO UPDATE`), so two nodes that see a new agent at once both succeed.
// Each agent keeps only its newest telemetry samples (docs/lists.md "Telemetry"): agents.samples counts
// the samples received, under the agent row's lock, and every TELEMETRY_PRUNE_EVERY-th prunes the older
// ones — a count every node shares, where the twin keeps one in memory.
import type { AgentStore } from '../types'
import { HELD_BY_AGENT_STATUSES } from '../../domain/deployment'
import type { PgDb } from './db/open'
import { TELEMETRY_KEPT, TELEMETRY_PRUNE_EVERY, type Agent, type Store, type TelemetryRow } from '../types'
import type { AgentStatus } from '../../domain/agent'
import { int, intOrNull, transaction, type Sql } from './tx'


/** The columns of an Agent, as toAgent reads them. */
const AGENT_COLUMNS = `user_id, id, satellite_id, satellite_name, agent_version, orbit_altitude_km, status, registered_at,
  last_seen_at, last_heartbeat_at, last_telemetry, created_at, lost_at`

type Row = Record<string, unknown>

const toAgent = (row: Row): Agent => ({
  userId: row.user_id as string,
  id: row.id as string,
  satelliteId: (row.satellite_id as string | null) ?? null,
  satelliteName: (row.satellite_name as string | null) ?? null,
  agentVersion: (row.agent_version as string | null) ?? null,
  orbitAltitudeKm: row.orbit_altitude_km === null || row.orbit_altitude_km === undefined ? null : Number(row.orbit_altitude_km),
  status: row.status as AgentStatus,
  registeredAt: intOrNull(row.registered_at),
  lastSeenAt: int(row.last_seen_at),
  lastHeartbeatAt: intOrNull(row.last_heartbeat_at),
  lastTelemetry: (row.last_telemetry as string | null) ?? null,
  createdAt: int(row.created_at),
  lostAt: intOrNull(row.lost_at),
})

const toSample = (row: Row): TelemetryRow => ({ seq: int(row.seq), receivedAt: int(row.received_at), sample: row.sample as string })

/**
 * Stores one sample with `tx`: moves the agent's heartbeat (creating it if new) and counts the sample,
 * which locks the agent row, so an agent's samples are counted and pruned one transaction at a time.
 */
async function storeSample(tx: Sql, userId: string, id: string, status: AgentStatus | null, json: string, now: number): Promise<void> {
  const [agent] = await tx`
    INSERT INTO agents (user_id, id, status, last_seen_at, last_heartbeat_at, last_telemetry, created_at, samples)
    VALUES (${userId}, ${id}, coalesce(${status}::text, 'idle'), ${now}, ${now}, ${json}, ${now}, 1)
    ON CONFLICT (user_id, id) DO UPDATE SET status = coalesce(${status}::text, agents.status), last_seen_at = excluded.last_seen_at,
      last_heartbeat_at = excluded.last_heartbeat_at, last_telemetry = excluded.last_telemetry, lost_at = NULL,
      samples = agents.samples + 1
    RETURNING samples`
  await tx`INSERT INTO agent_telemetry (user_id, agent_id, received_at, sample) VALUES (${userId}, ${id}, ${now}, ${json})`
  // The 1st, the 101st, …: as the twin, which prunes at an agent's first sample since its start and
  // every TELEMETRY_PRUNE_EVERY-th after, so at most TELEMETRY_KEPT + TELEMETRY_PRUNE_EVERY - 1 are kept.
  if ((int(agent!.samples) - 1) % TELEMETRY_PRUNE_EVERY !== 0) return
  // The samples older than the agent's TELEMETRY_KEPT-th newest, along agent_telemetry_agent_idx.
  await tx`
    DELETE FROM agent_telemetry WHERE user_id = ${userId} AND agent_id = ${id} AND (received_at, seq) < (
      SELECT received_at, seq FROM agent_telemetry WHERE user_id = ${userId} AND agent_id = ${id}
      ORDER BY received_at DESC, seq DESC LIMIT 1 OFFSET ${TELEMETRY_KEPT - 1})`
}

/** The agents themselves: upserts, the list, one, a delete. */
function agentMethods(sql: Sql): Pick<AgentStore, 'touchAgent' | 'registerAgent' | 'listAgents' | 'getAgent' | 'deleteAgent'> {
  return {
    async touchAgent(userId, id, now) {
      const [row] = await sql.unsafe(
        `INSERT INTO agents (user_id, id, last_seen_at, created_at) VALUES ($1, $2, $3, $3)
        ON CONFLICT (user_id, id) DO UPDATE SET last_seen_at = excluded.last_seen_at, lost_at = NULL
        RETURNING ${AGENT_COLUMNS}`,
        [userId, id, now],
      )
      return toAgent(row as Row)
    },
    // coalesce keeps a stored value where the registration leaves the field out (null here).
    async registerAgent(userId, id, fields, now) {
      const [row] = await sql.unsafe(
        `INSERT INTO agents (user_id, id, satellite_id, satellite_name, agent_version, orbit_altitude_km, status, registered_at, last_seen_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, 'idle', $7, $7, $7)
        ON CONFLICT (user_id, id) DO UPDATE SET
          satellite_id = coalesce(excluded.satellite_id, agents.satellite_id),
          satellite_name = coalesce(excluded.satellite_name, agents.satellite_name),
          agent_version = coalesce(excluded.agent_version, agents.agent_version),
          orbit_altitude_km = coalesce(excluded.orbit_altitude_km, agents.orbit_altitude_km),
          status = 'idle', registered_at = excluded.registered_at, last_seen_at = excluded.last_seen_at, lost_at = NULL
        RETURNING ${AGENT_COLUMNS}`,
        [userId, id, fields.satelliteId ?? null, fields.satelliteName ?? null, fields.agentVersion ?? null, fields.orbitAltitudeKm ?? null, now],
      )
      return toAgent(row as Row)
    },
    // Along agents_user_created_idx (user_id, created_at, id), backwards.
    async listAgents(userId, { limit, after }) {
      const rows = after
        ? await sql.unsafe(
            `SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
            [userId, after.createdAt, after.id, limit],
          )
        : await sql.unsafe(`SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [userId, limit])
      return (rows as Row[]).map(toAgent)
    },
    async getAgent(userId, id) {
      const [row] = await sql.unsafe(`SELECT ${AGENT_COLUMNS} FROM agents WHERE user_id = $1 AND id = $2`, [userId, id])
      return row ? toAgent(row as Row) : null
    },
    // Its samples go with it (agent_telemetry's foreign key cascades); deployments keep their agent_id.
    async deleteAgent(userId, id) {
      const deleted = await sql`DELETE FROM agents WHERE user_id = ${userId} AND id = ${id} RETURNING id`
      return deleted.length > 0
    },
  }
}

/** The lost-agent sweep's reads and its mark (docs/operations.md "Lost agents"). */
function sweepMethods(sql: Sql): Pick<AgentStore, 'listSilentAgents' | 'listAgentLiveDeployments' | 'markAgentLost'> {
  return {
    // In key order (the primary key), the silent ones tested on the way (docs/operations.md "Lost agents").
    async listSilentAgents(cutoff, after, limit) {
      const rows = await sql`
        SELECT user_id, id, last_seen_at FROM agents
        WHERE (user_id, id) > (${after?.userId ?? ''}, ${after?.id ?? ''}) AND lost_at IS NULL AND last_seen_at < ${cutoff}
        ORDER BY user_id, id LIMIT ${limit}`
      return (rows as Row[]).map((row) => ({ userId: row.user_id as string, id: row.id as string, lastSeenAt: int(row.last_seen_at) }))
    },
    async listAgentLiveDeployments(userId, id) {
      const rows = await sql`
        SELECT id FROM deployments WHERE user_id = ${userId} AND agent_id = ${id} AND status = ANY(${sql.array([...HELD_BY_AGENT_STATUSES], 'TEXT')})
        ORDER BY created_at, id`
      return (rows as Row[]).map((row) => row.id as string)
    },
    // A request since the listing (last_seen_at moved, lost_at cleared) keeps the agent found.
    async markAgentLost(userId, id, cutoff, now) {
      const marked = await sql`
        UPDATE agents SET lost_at = ${now}
        WHERE user_id = ${userId} AND id = ${id} AND lost_at IS NULL AND last_seen_at < ${cutoff} RETURNING id`
      return marked.length > 0
    },
  }
}

/** Samples: stored with their heartbeat, and read newest first (docs/lists.md "Telemetry"). */
function telemetryMethods(sql: Sql): Pick<AgentStore, 'recordTelemetry' | 'listTelemetry'> {
  return {
    async recordTelemetry(userId, id, { status, json }, now) {
      await transaction(sql, (tx) => storeSample(tx, userId, id, status ?? null, json, now))
    },
    // One range of agent_telemetry_agent_idx (user_id, agent_id, received_at, seq), backwards.
    async listTelemetry(userId, id, { limit, after }) {
      const rows = after
        ? await sql`SELECT seq, received_at, sample FROM agent_telemetry WHERE user_id = ${userId} AND agent_id = ${id}
            AND (received_at, seq) < (${after.receivedAt}, ${after.seq}) ORDER BY received_at DESC, seq DESC LIMIT ${limit}`
        : await sql`SELECT seq, received_at, sample FROM agent_telemetry WHERE user_id = ${userId} AND agent_id = ${id}
            ORDER BY received_at DESC, seq DESC LIMIT ${limit}`
      return (rows as Row[]).map(toSample)
    },
  }
}

export function createAgentStore(db: PgDb): AgentStore {
  const sql = db.$client
  return { ...agentMethods(sql), ...sweepMethods(sql), ...telemetryMethods(sql) }
}
