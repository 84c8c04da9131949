// Conformance cases for missions and plans: what another user sees (nothing), newest-first pages through
// rows of one instant, the mission and archive filters of the plan list, and archiving (docs/api.md §5).
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { Mission, PageQuery, Plan, SortKey } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { SECOND, seedUser, T0 } from './fixtures'

/** Every page of a newest-first list, `limit` rows at a time, following each page's last row. */
export async function allPages<T extends SortKey>(limit: number, list: (page: PageQuery) => Promise<T[]>): Promise<T[][]> {
  const pages: T[][] = []
  let after: SortKey | null = null
  for (;;) {
    const page = await list({ limit, after })
    if (page.length === 0) return pages
    pages.push(page)
    const last = page[page.length - 1]!
    after = { createdAt: last.createdAt, id: last.id }
  }
}

/** (created_at DESC, id DESC) with ids compared as JavaScript compares them (bytewise for ASCII). */
export const newestFirst = (a: SortKey, b: SortKey) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** Ids that sort differently bytewise than in a natural-language collation: case, digits, punctuation. */
export const TIE_SUFFIXES = ['a', 'B', 'b', '_z', '-y', '0', 'A1', 'a0']

export function catalogCases(backend: Backend) {
  describe(`catalog (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    const mission = (userId: string, id: string, createdAt = T0): Mission => ({ id, userId, name: `M ${id}`, description: null, createdAt })
    const plan = (userId: string, missionId: string, id: string, createdAt = T0) => ({
      id,
      userId,
      missionId,
      label: `P ${id}`,
      satelliteId: 'sat-1',
      satelliteName: null,
      preset: null,
      eventCount: 0,
      createdAt,
      planData: `{"events":[],"id":"${id}"}`,
    })

    test('a mission reads back as inserted, and only for its owner', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      const m: Mission = { id: 'mis-1', userId: alice.id, name: 'Survey', description: 'north pass', createdAt: T0 + 7 }
      await store.insertMission(m)
      expect(await store.getMission(alice.id, 'mis-1')).toEqual(m)
      expect(await store.getMission(bob.id, 'mis-1')).toBeNull()
      expect(await store.getMission(alice.id, 'mis-unknown')).toBeNull()
      expect(await store.listMissions(bob.id, { limit: 10, after: null })).toEqual([])
    })

    test('listMissions pages newest first through rows of one instant, never skipping or repeating', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      const inserted: Mission[] = []
      for (const [i, suffix] of TIE_SUFFIXES.entries()) {
        const m = mission(alice.id, `mis-${suffix}`, i < 5 ? T0 : T0 + i * SECOND)
        await store.insertMission(m)
        inserted.push(m)
      }
      await store.insertMission(mission(bob.id, 'mis-bob'))
      const pages = await allPages(3, (page) => store.listMissions(alice.id, page))
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2])
      expect(pages.flat()).toEqual([...inserted].sort(newestFirst))
    })

    test('a plan reads back with its data; the list leaves the data out; other users see none of it', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      await store.insertMission(mission(alice.id, 'mis-1'))
      const p = { ...plan(alice.id, 'mis-1', 'plan-1', T0 + 3), satelliteName: 'Sentinel', preset: 'survey', eventCount: 42 }
      await store.insertPlan(p)
      const { planData, ...listed } = p
      expect(await store.getPlan(alice.id, 'plan-1')).toEqual({ ...p, archivedAt: null })
      expect(planData).toContain('plan-1')
      const [row] = await store.listPlans(alice.id, null, { limit: 10, after: null })
      expect(row).toEqual({ ...listed, archivedAt: null })
      expect(row).not.toHaveProperty('planData')
      expect(await store.getPlan(bob.id, 'plan-1')).toBeNull()
      expect(await store.getPlan(alice.id, 'plan-unknown')).toBeNull()
      expect(await store.listPlans(bob.id, null, { limit: 10, after: null })).toEqual([])
      expect(await store.listPlans(bob.id, 'mis-1', { limit: 10, after: null }, 'include')).toEqual([])
    })

    test('listPlans filters by mission and pages through ties', async () => {
      const { store } = opened
      const alice = await seedUser(store)
      await store.insertMission(mission(alice.id, 'mis-a'))
      await store.insertMission(mission(alice.id, 'mis-b'))
      for (const suffix of TIE_SUFFIXES) {
        await store.insertPlan(plan(alice.id, 'mis-a', `plan-a${suffix}`))
        await store.insertPlan(plan(alice.id, 'mis-b', `plan-b${suffix}`))
      }
      const ofA = (await allPages(3, (page) => store.listPlans(alice.id, 'mis-a', page))).flat()
      expect(ofA.map((p) => p.id)).toEqual(TIE_SUFFIXES.map((s) => `plan-a${s}`).sort().reverse())
      const all = await allPages(5, (page) => store.listPlans(alice.id, null, page))
      expect(all.map((p) => p.length)).toEqual([5, 5, 5, 1])
      expect(all.flat().map((p) => p.id)).toEqual([...ofA.map((p) => p.id), ...TIE_SUFFIXES.map((s) => `plan-b${s}`)].sort().reverse())
    })

    test('archiving a plan hides it from the default list; include and only show it; restoring brings it back', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      await store.insertMission(mission(alice.id, 'mis-1'))
      await store.insertMission(mission(alice.id, 'mis-2'))
      await store.insertPlan(plan(alice.id, 'mis-1', 'plan-1', T0))
      await store.insertPlan(plan(alice.id, 'mis-1', 'plan-2', T0 + 1))
      await store.insertPlan(plan(alice.id, 'mis-2', 'plan-3', T0 + 2))
      const ids = async (missionId: string | null, archived?: 'exclude' | 'include' | 'only') =>
        (await store.listPlans(alice.id, missionId, { limit: 10, after: null }, archived)).map((p: Plan) => p.id)

      const archived = await store.setPlanArchived(alice.id, 'plan-2', true, T0 + 10)
      expect(archived).toMatchObject({ id: 'plan-2', archivedAt: T0 + 10, label: 'P plan-2' })
      expect(archived).not.toHaveProperty('planData')
      // Archiving again keeps the first instant.
      expect((await store.setPlanArchived(alice.id, 'plan-2', true, T0 + 20))!.archivedAt).toBe(T0 + 10)
      expect((await store.getPlan(alice.id, 'plan-2'))!.archivedAt).toBe(T0 + 10)

      expect(await ids(null)).toEqual(['plan-3', 'plan-1'])
      expect(await ids(null, 'exclude')).toEqual(['plan-3', 'plan-1'])
      expect(await ids(null, 'include')).toEqual(['plan-3', 'plan-2', 'plan-1'])
      expect(await ids(null, 'only')).toEqual(['plan-2'])
      expect(await ids('mis-1', 'only')).toEqual(['plan-2'])
      expect(await ids('mis-2', 'only')).toEqual([])
      expect(await ids('mis-1', 'include')).toEqual(['plan-2', 'plan-1'])

      // Another user's or an unknown plan: null, and nothing changes.
      expect(await store.setPlanArchived(bob.id, 'plan-1', true, T0 + 30)).toBeNull()
      expect(await store.setPlanArchived(alice.id, 'plan-unknown', true, T0 + 30)).toBeNull()
      expect((await store.getPlan(alice.id, 'plan-1'))!.archivedAt).toBeNull()

      const restored = await store.setPlanArchived(alice.id, 'plan-2', false, T0 + 40)
      expect(restored!.archivedAt).toBeNull()
      // Restoring one not archived is a no-op that still answers the plan.
      expect((await store.setPlanArchived(alice.id, 'plan-1', false, T0 + 40))!.archivedAt).toBeNull()
      expect(await ids(null)).toEqual(['plan-3', 'plan-2', 'plan-1'])
      expect(await ids(null, 'only')).toEqual([])
    })

    test('a plan archived on one store is hidden from the list of another on the same database', async () => {
      const { store } = opened
      const alice = await seedUser(store)
      await store.insertMission(mission(alice.id, 'mis-1'))
      await store.insertPlan(plan(alice.id, 'mis-1', 'plan-1'))
      const other = await opened.openAnother()
      await store.setPlanArchived(alice.id, 'plan-1', true, T0 + 5)
      expect(await other.listPlans(alice.id, null, { limit: 10, after: null })).toEqual([])
      expect((await other.listPlans(alice.id, null, { limit: 10, after: null }, 'only')).map((p) => p.archivedAt)).toEqual([T0 + 5])
    })
  })
}
