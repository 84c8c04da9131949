// Missions and plans on SQLite, through drizzle's query builder.
import { and, eq, getTableColumns, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Db } from './db/open'
import { missions, plans } from './db/schema'
import type { ArchiveFilter, Mission, Plan, PlanWithData, Store, CatalogStore } from '../types'
import { afterKey, newestFirst } from './paging'


/** The archive filter of a list (docs/lists.md "Archived"), as a condition on the table's archived_at. */
const archiveCondition = (column: typeof plans.archivedAt, archived: ArchiveFilter) =>
  archived === 'include' ? undefined : archived === 'only' ? isNotNull(column) : isNull(column)

const { planData: _omitted, ...planColumns } = getTableColumns(plans)

export function createCatalogStore(db: Db): CatalogStore {
  return {
    async insertMission(mission) {
      db.insert(missions).values(mission).run()
    },
    async listMissions(userId, page) {
      return db
        .select()
        .from(missions)
        .where(and(eq(missions.userId, userId), afterKey(missions.createdAt, missions.id, page)))
        .orderBy(...newestFirst(missions.createdAt, missions.id))
        .limit(page.limit)
        .all() as Mission[]
    },
    async getMission(userId, id) {
      return (db.select().from(missions).where(and(eq(missions.id, id), eq(missions.userId, userId))).get() as Mission | undefined) ?? null
    },
    async insertPlan(plan) {
      db.insert(plans).values(plan).run()
    },
    async listPlans(userId, missionId, page, archived = 'exclude') {
      const ofMission = missionId === null ? undefined : eq(plans.missionId, missionId)
      const ofState = archiveCondition(plans.archivedAt, archived)
      return db
        .select(planColumns)
        .from(plans)
        .where(and(eq(plans.userId, userId), ofMission, ofState, afterKey(plans.createdAt, plans.id, page)))
        .orderBy(...newestFirst(plans.createdAt, plans.id))
        .limit(page.limit)
        .all() as Plan[]
    },
    async setPlanArchived(userId, id, archived, now) {
      // Archiving keeps an archived_at already set; restoring clears it.
      const archivedAt = archived ? sql`coalesce(${plans.archivedAt}, ${now})` : null
      return (
        (db
          .update(plans)
          .set({ archivedAt })
          .where(and(eq(plans.id, id), eq(plans.userId, userId)))
          .returning(planColumns)
          .get() as Plan | undefined) ?? null
      )
    },
    async getPlan(userId, id) {
      return (db.select().from(plans).where(and(eq(plans.id, id), eq(plans.userId, userId))).get() as PlanWithData | undefined) ?? null
    },
  }
}
