// Deployment rows on PostgreSQL, shared by the deployment store (deployments.ts) and the event group writer
// (event-group.ts): reading them as the API shows them, and taking numbers of an owner's change sequence.
import type { Deployment, DeploymentChange } from '../types'
import { int, intOrNull, type Sql } from './tx'

/** The columns of a Deployment (plus its change_seq), from `deployments d JOIN missions m JOIN plans p`. */
export const DEPLOYMENT_FROM = `
  SELECT d.id, d.user_id, d.mission_id, d.plan_id, d.satellite_id, d.status, d.mode, d.speed_multiplier, d.agent_id,
         d.created_at, d.dispatched_at, d.started_at, d.completed_at, d.event_count, m.name AS mission_name,
         p.label AS plan_label, d.archived_at, d.change_seq
  FROM deployments d JOIN missions m ON m.id = d.mission_id JOIN plans p ON p.id = d.plan_id`

/** A row read with DEPLOYMENT_FROM, as Bun's client returns it (int8 as text). */
export type DeploymentRow = Record<string, unknown>

export const toDeployment = (row: DeploymentRow): Deployment => ({
  id: row.id as string,
  userId: row.user_id as string,
  missionId: row.mission_id as string,
  planId: row.plan_id as string,
  satelliteId: row.satellite_id as string,
  status: row.status as Deployment['status'],
  mode: row.mode as Deployment['mode'],
  speedMultiplier: Number(row.speed_multiplier),
  agentId: (row.agent_id as string | null) ?? null,
  createdAt: int(row.created_at),
  dispatchedAt: intOrNull(row.dispatched_at),
  startedAt: intOrNull(row.started_at),
  completedAt: intOrNull(row.completed_at),
  eventCount: int(row.event_count),
  missionName: row.mission_name as string,
  planLabel: row.plan_label as string,
  archivedAt: intOrNull(row.archived_at),
})

export const toChange = (row: DeploymentRow): DeploymentChange => ({ seq: int(row.change_seq), deployment: toDeployment(row) })

/** The user's deployment as the API shows it, read with `tx` (inside a transaction: as it leaves it). */
export async function readDeployment(tx: Sql, userId: string, id: string): Promise<Deployment | null> {
  const [row] = await tx.unsafe(`${DEPLOYMENT_FROM} WHERE d.id = $1 AND d.user_id = $2`, [id, userId])
  return row ? toDeployment(row as DeploymentRow) : null
}

/** Deployments by id (any user's: the caller checks), with their change_seq. */
export async function readChanges(tx: Sql, ids: readonly string[]): Promise<DeploymentChange[]> {
  if (ids.length === 0) return []
  const rows = (await tx.unsafe(`${DEPLOYMENT_FROM} WHERE d.id = ANY($1::text[])`, [ids])) as DeploymentRow[]
  return rows.map(toChange)
}

/**
 * Takes the next `count` numbers of the user's change sequence (docs/api.md §3.3) and answers the first:
 * the numbers are first, first+1, …, first+count-1. The counter row stays locked until the transaction
 * ends, so a user's changes commit in the order of their numbers on every node: take it last, after
 * every deployment row the transaction locks (the lock order of docs/postgres.md).
 */
export async function takeChangeSeqs(tx: Sql, userId: string, count: number): Promise<number> {
  const [row] = await tx`
    INSERT INTO change_counters (user_id, seq) VALUES (${userId}, ${count})
    ON CONFLICT (user_id) DO UPDATE SET seq = change_counters.seq + ${count}
    RETURNING seq`
  return int(row!.seq) - count + 1
}
