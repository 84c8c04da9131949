// The events of PostgreSQL (docs/api.md §3): writing event groups (event-group.ts), reading pages and the
// stream (event-pages.ts), and what a report is checked against. Joined to the deployments by
// deployments.ts.
import type { PgDb } from './db/open'
import type { Store } from '../types'
import type { DeploymentStoreOptions } from './deployments'
import { createEventGroupWriter } from './event-group'
import { createEventPages } from './event-pages'
import { int, intOrNull } from './tx'

export const EVENT_METHODS = ['writeEventGroup', 'whenDurable', 'listEventsByArrival', 'stagePayloads', 'dropStagedPayloads', 'listEvents', 'countEvents', 'lastArrival', 'getEventCount', 'getReportTarget'] as const
export type EventStore = Pick<Store, (typeof EVENT_METHODS)[number]>

export function createEventStore(db: PgDb, options: DeploymentStoreOptions): EventStore {
  const sql = db.$client
  const pages = createEventPages(sql, options.secret)
  return {
    writeEventGroup: createEventGroupWriter(sql, options),
    // synchronous_commit is on: every answered commit is durable already.
    async whenDurable() {},
    // SQLite writes a large input's payloads ahead so that its one writer's transaction holds the event
    // loop for its rows alone (docs/limits.md). Here the group's INSERT runs in the database's process and
    // holds no lock another group needs but its deployments' rows: there is nothing to stage.
    async stagePayloads(events) {
      return events.map(() => null)
    },
    // Nothing was staged.
    async dropStagedPayloads() {},
    listEvents: (deploymentId, page) => pages.list(deploymentId, page),
    countEvents: (deploymentId, filter) => pages.count(deploymentId, filter),
    lastArrival: (deploymentId) => pages.lastArrival(deploymentId),
    listEventsByArrival: (deploymentId, after, limit) => pages.byArrival(deploymentId, after, limit),
    async getEventCount(userId, deploymentId) {
      const [row] = await sql`SELECT event_count FROM deployments WHERE id = ${deploymentId} AND user_id = ${userId}`
      return row ? int(row.event_count) : null
    },
    async getReportTarget(userId, deploymentId) {
      const [row] = await sql`SELECT status, mode, agent_id, started_at, completed_at FROM deployments WHERE id = ${deploymentId} AND user_id = ${userId}`
      if (!row) return null
      return { status: row.status, mode: row.mode, agentId: row.agent_id ?? null, startedAt: intOrNull(row.started_at), completedAt: intOrNull(row.completed_at) }
    },
  }
}
