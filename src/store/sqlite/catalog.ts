// Missions and plans on SQLite, through drizzle's query builder.
import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm'
import type { Db } from '../../db/open'
import { missions, plans } from '../../db/schema'
import type { Mission, Plan, PlanWithData, Store } from '../types'

type CatalogStore = Pick<Store, 'insertMission' | 'listMissions' | 'getMission' | 'insertPlan' | 'listPlans' | 'getPlan'>

// Rows created in the same microsecond keep their insertion order.
const newestRowFirst = sql`rowid desc`
const { planData: _omitted, ...planColumns } = getTableColumns(plans)

export function createCatalogStore(db: Db): CatalogStore {
  return {
    async insertMission(mission) {
      db.insert(missions).values(mission).run()
    },
    async listMissions(userId) {
      return db.select().from(missions).where(eq(missions.userId, userId)).orderBy(desc(missions.createdAt), newestRowFirst).all() as Mission[]
    },
    async getMission(userId, id) {
      return (db.select().from(missions).where(and(eq(missions.id, id), eq(missions.userId, userId))).get() as Mission | undefined) ?? null
    },
    async insertPlan(plan) {
      db.insert(plans).values(plan).run()
    },
    async listPlans(userId, missionId) {
      const mine = eq(plans.userId, userId)
      const where = missionId === undefined ? mine : and(mine, eq(plans.missionId, missionId))
      return db.select(planColumns).from(plans).where(where).orderBy(desc(plans.createdAt), newestRowFirst).all() as Plan[]
    },
    async getPlan(userId, id) {
      return (db.select().from(plans).where(and(eq(plans.id, id), eq(plans.userId, userId))).get() as PlanWithData | undefined) ?? null
    },
  }
}
