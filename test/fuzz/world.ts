// The fuzz suite's server: one app on a fixed clock with the replay stopped (nothing changes behind a
// property's back), an admin tenant that owns everything written, and another tenant whose data must
// never change.
import { createHarness, createTenant, fixedClock, type Harness, type Tenant } from '../helpers'
import { snapshot } from './wire'

export type World = { h: Harness; a: Tenant; b: Tenant; userIds: string[]; snapshot(): Promise<string> }

export async function createWorld(): Promise<World> {
  const h = createHarness({ clock: fixedClock() })
  // A simulated deployment would otherwise start storing its plan's events while a property runs.
  h.app.services.replay.stop()
  const a = await createTenant(h, 'admin')
  const b = await createTenant(h, 'operator', 'sat-other')
  await b.createDeployment('live')
  const userIds = await Promise.all([a, b].map(async (t) => (await h.store.getUserByEmail(t.email))!.id))
  return { h, a, b, userIds, snapshot: () => snapshot(h, userIds) }
}
