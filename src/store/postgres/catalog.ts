// Missions and plans on PostgreSQL: the port of src/store/sqlite/catalog.ts. Lists are newest first by
// (created_at DESC, id DESC) after a cursor (docs/lists.md); a plan's archive state filters its list
// (docs/api.md §5 "Archiving a plan"). Every method is one statement: no transaction needed.
import type { ArchiveFilter, Mission, PageQuery, Plan, PlanWithData, Store, CatalogStore } from '../types'
import type { PgDb } from './db/open'
import { int, intOrNull, type Sql } from './tx'


type Row = Record<string, unknown>

/**
 * The rows after `page.after` in newest-first order, as an `AND …` fragment on `created_at` and `id` (empty
 * from the first row). The `<=` term is the one an index on (…, created_at, id) ranges over; ids compare
 * bytewise (COLLATE "C"), as SQLite's and JavaScript's do, whatever the database's collation.
 */
export const afterKey = (sql: Sql, page: PageQuery) => {
  const after = page.after
  if (!after) return sql``
  return sql`AND created_at <= ${after.createdAt} AND (created_at < ${after.createdAt} OR id COLLATE "C" < ${after.id})`
}
/** The order every newest-first list shares (constant text). */
export const NEWEST_FIRST = 'ORDER BY created_at DESC, id COLLATE "C" DESC'

const toMission = (row: Row): Mission => ({
  id: row.id as string,
  userId: row.user_id as string,
  name: row.name as string,
  description: (row.description as string | null) ?? null,
  createdAt: int(row.created_at),
})

const PLAN_COLUMNS = 'id, user_id, mission_id, label, satellite_id, satellite_name, preset, event_count, created_at, archived_at'

const toPlan = (row: Row): Plan => ({
  id: row.id as string,
  userId: row.user_id as string,
  missionId: row.mission_id as string,
  label: row.label as string,
  satelliteId: row.satellite_id as string,
  satelliteName: (row.satellite_name as string | null) ?? null,
  preset: (row.preset as string | null) ?? null,
  eventCount: int(row.event_count),
  createdAt: int(row.created_at),
  archivedAt: intOrNull(row.archived_at),
})

/** The archive filter of a list (docs/lists.md "Archived"), as an `AND …` fragment on archived_at. */
const archiveCondition = (sql: Sql, archived: ArchiveFilter) =>
  archived === 'include' ? sql`` : archived === 'only' ? sql`AND archived_at IS NOT NULL` : sql`AND archived_at IS NULL`

export function createCatalogStore(db: PgDb): CatalogStore {
  const sql = db.$client
  const order = sql.unsafe(NEWEST_FIRST)
  const planColumns = sql.unsafe(PLAN_COLUMNS)
  return {
    async insertMission(m) {
      await sql`INSERT INTO missions (id, user_id, name, description, created_at)
        VALUES (${m.id}, ${m.userId}, ${m.name}, ${m.description}, ${m.createdAt})`
    },
    async listMissions(userId, page) {
      const rows = await sql`SELECT id, user_id, name, description, created_at FROM missions
        WHERE user_id = ${userId} ${afterKey(sql, page)} ${order} LIMIT ${page.limit}`
      return rows.map(toMission)
    },
    async getMission(userId, id) {
      const [row] = await sql`SELECT id, user_id, name, description, created_at FROM missions WHERE id = ${id} AND user_id = ${userId}`
      return row ? toMission(row) : null
    },
    async insertPlan(p) {
      await sql`INSERT INTO plans (id, user_id, mission_id, label, satellite_id, satellite_name, preset, plan_data, event_count, created_at)
        VALUES (${p.id}, ${p.userId}, ${p.missionId}, ${p.label}, ${p.satelliteId}, ${p.satelliteName}, ${p.preset}, ${p.planData}, ${p.eventCount}, ${p.createdAt})`
    },
    async listPlans(userId, missionId, page, archived = 'exclude') {
      const ofMission = missionId === null ? sql`` : sql`AND mission_id = ${missionId}`
      const rows = await sql`SELECT ${planColumns} FROM plans
        WHERE user_id = ${userId} ${ofMission} ${archiveCondition(sql, archived)} ${afterKey(sql, page)} ${order} LIMIT ${page.limit}`
      return rows.map(toPlan)
    },
    async getPlan(userId, id) {
      const [row] = await sql`SELECT ${planColumns}, plan_data FROM plans WHERE id = ${id} AND user_id = ${userId}`
      return row ? ({ ...toPlan(row), planData: row.plan_data as string } satisfies PlanWithData) : null
    },
    async setPlanArchived(userId, id, archived, now) {
      // Archiving keeps an archived_at already set; restoring clears it.
      const archivedAt = archived ? sql`coalesce(archived_at, ${now})` : sql`NULL`
      const [row] = await sql`UPDATE plans SET archived_at = ${archivedAt} WHERE id = ${id} AND user_id = ${userId} RETURNING ${planColumns}`
      return row ? toPlan(row) : null
    },
  }
}
