// The fuzz suite's server: one app on a fixed clock with the replay stopped (nothing changes behind a
// property's back), an admin tenant that owns everything written, another tenant whose data must never
// change, and a user of its own for POST /api/auth/password (its password changes as the fuzz goes).
import { PASSWORD, createHarness, createTenant, fixedClock, type FixedClock, type Harness, type Tenant } from '../helpers'
import { snapshot } from './wire'

/** What the suite knows of the password user: its password now, and its failures in the throttling window as a range. */
export type PasswordUser = {
  userId: string
  email: string
  cookie: string
  password: string
  /** A second session of the user, opened before a request: a change must end it (docs/api.md §1). */
  other: string | null
  /** Counted wrong current passwords, per (address, user) and per address: [certainly, at most]. */
  failures: [number, number]
  addressFailures: [number, number]
}

export type World = { h: Harness; clock: FixedClock; a: Tenant; b: Tenant; pw: PasswordUser; userIds: string[]; snapshot(): Promise<string> }

let worlds = 0

/** Logs in through the API and returns the session cookie, or null when refused. */
export async function login(h: Harness, email: string, password: string): Promise<string | null> {
  const reply = await h.request('POST', '/api/auth/login', { body: { email, password } })
  return reply.status === 200 ? reply.headers.get('set-cookie')!.split(';')[0]! : null
}

export async function createWorld(): Promise<World> {
  const clock = fixedClock()
  const h = createHarness({ clock })
  try {
    return await populate(h, clock)
  } catch (error) {
    await h.close() // no caller gets it to close: its database (on PostgreSQL) would outlive the run
    throw error
  }
}

async function populate(h: Harness, clock: FixedClock): Promise<World> {
  // A simulated deployment would otherwise start storing its plan's events while a property runs.
  h.app.services.replay.stop()
  const a = await createTenant(h, 'admin')
  const b = await createTenant(h, 'operator', 'sat-other')
  await b.createDeployment('live')
  const email = `password${++worlds}@example.test`
  await h.app.services.auth.createUser({ email, password: PASSWORD, role: 'operator' })
  const pw: PasswordUser = { userId: '', email, cookie: (await login(h, email, PASSWORD))!, password: PASSWORD, other: null, failures: [0, 0], addressFailures: [0, 0] }
  const userIds = await Promise.all([a.email, b.email, email].map(async (e) => (await h.store.getUserByEmail(e))!.id))
  pw.userId = userIds[2]!
  return { h, clock, a, b, pw, userIds, snapshot: () => snapshot(h, userIds) }
}

/** Lets every counted password failure leave the 15-minute window (docs/auth.md), so the counts start again at 0. */
export function clearThrottle(w: World) {
  w.clock.advance(15 * 60 + 1)
  w.pw.failures = [0, 0]
  w.pw.addressFailures = [0, 0]
}
