// GET /api/deployments/stream across a crash (docs/api.md §3.3): an event count moved within the second before
// its change was recorded still reaches a client that resumes from its last id, with the final count.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, onPostgres, type Harness, type Tenant } from '../helpers'
import { deploymentOf, listStream, progress, report } from './kit'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
})
afterEach(() => h.close())

/**
 * A kill -9: the store closes before any service can record what it holds (the reports service's count
 * timer and its stop() then fail on the closed store), then a new process opens the file.
 */
async function crashAndRestart() {
  const closing = h.store.close() // SQLite's is closed when this returns; PostgreSQL's pool once it settles
  if (onPostgres) await closing
  const restarted = h.restart()
  if (onPostgres) await restarted
}

test('counts committed within the second before a crash get their change at the next start; a resumed stream delivers the final count', async () => {
  const dep = await t.createDeployment('live') // change 1
  const quiet = await t.createDeployment('live') // change 2
  expect((await report(h, t, dep, event('job.accepted'))).status).toBe(201) // dep: change 3, count 1
  for (let i = 0; i < 3; i++) expect((await report(h, t, dep, progress(i))).status).toBe(201)
  // Stored and acknowledged, but the count's change waits for the timer, which never fires.
  expect((await deploymentOf(h, t, dep)).event_count).toBe(4)
  await crashAndRestart()

  const resumed = await listStream(h, { ...t.asKey, 'last-event-id': '3' })
  const [m] = await resumed.messages(1)
  expect(m!.id).toBe('4')
  expect(JSON.parse(m!.data!)).toEqual({ ...(await deploymentOf(h, t, dep)), event_count: 4 })
  // The deployment whose count did not move gets no new change.
  expect(await resumed.within(50)).toBe('quiet')
  resumed.close()
  const fromStart = await listStream(h, t.asKey, '?after=0')
  expect((await fromStart.messages(2)).map((n) => [n.id, JSON.parse(n.data!).id])).toEqual([
    ['2', quiet],
    ['4', dep],
  ])
  fromStart.close()

  // A clean restart afterwards changes nothing more.
  h.restart()
  const again = await listStream(h, { ...t.asKey, 'last-event-id': '4' })
  expect(await again.within(50)).toBe('quiet')
  again.close()
})
