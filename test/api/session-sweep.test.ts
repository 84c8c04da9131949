// Expired sessions are swept, not kept (docs/api.md §1): the sweep, its batches, and its timer.
import { describe, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { SESSION_TTL_MICROS } from '../../src/auth/service'
import { silentLogger } from '../../src/log'
import { countOf, createTenant, harnessPerTest, onSqlite, PASSWORD, type FixedClock, type Harness } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

const sessionIdOf = (cookie: string) => cookie.slice('session='.length).split('.')[0]!
/** The sessions table's rows, read by hand on either backend: no API counts sessions. */
const countSessions = () => countOf(h, 'SELECT count(*) AS n FROM sessions')
async function insertSessions(ids: string[], expiresIn = 1) {
  const user = (await h.store.getUserByEmail('many@example.test')) ?? (await h.app.services.auth.createUser({ email: 'many@example.test', password: PASSWORD }))
  for (const id of ids) await h.store.insertSession({ id, userId: user.id, secretHash: 'x', createdAt: clock(), expiresAt: clock() + expiresIn }, null)
}

describe('session sweep', () => {
  test('an expired session that was never used again is deleted; a live one stays', async () => {
    const stale = await createTenant(h)
    clock.advance(3 * 24 * 3600)
    const fresh = await createTenant(h)
    clock.advance(4 * 24 * 3600 + 1) // stale: 7 days and a second old, never used after login
    expect(await h.store.getSession(sessionIdOf(stale.cookie))).not.toBeNull()
    expect(await h.app.services.sessions.sweep()).toBe(1)
    expect(await h.store.getSession(sessionIdOf(stale.cookie))).toBeNull()
    expect(await h.store.getSession(sessionIdOf(fresh.cookie))).not.toBeNull()
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: fresh.cookie } })).status).toBe(200)
    expect(await h.app.services.sessions.sweep()).toBe(0)
  })

  test('a session kept alive by use is not swept', async () => {
    const t = await createTenant(h)
    for (let day = 0; day < 20; day += 4) {
      clock.advance(4 * 24 * 3600)
      expect((await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).status).toBe(200)
      await h.app.services.sessions.sweep()
    }
    expect(await h.store.getSession(sessionIdOf(t.cookie))).not.toBeNull()
  })

  test('a backlog larger than one batch is swept whole', async () => {
    await insertSessions(Array.from({ length: 1234 }, (_, i) => `ses-${i}`))
    await insertSessions(['ses-live'], SESSION_TTL_MICROS)
    clock.advance(1)
    expect(await h.app.services.sessions.sweep()).toBe(1234)
    expect(await countSessions()).toBe(1)
  })
})

describe('session sweep timer', () => {
  test('start sweeps at once and then on its interval; stop ends it', async () => {
    // The same database under an app with a short interval, so the test need not wait ten minutes. A
    // sweep on PostgreSQL is round trips to a server, not a few microseconds: there every time is ten
    // times longer, the interval too, so "at once" still comes well before the first interval.
    const ms = (n: number) => (onSqlite ? n : 10 * n)
    const app = createApp({ store: h.store, clock, log: silentLogger, sessionSweepEveryMs: ms(20) })
    try {
      await insertSessions(['ses-before-start'])
      clock.advance(1)
      app.services.sessions.start()
      await Bun.sleep(ms(5))
      expect(await h.store.getSession('ses-before-start')).toBeNull()
      await insertSessions(['ses-later'])
      clock.advance(1)
      await Bun.sleep(ms(80))
      expect(await h.store.getSession('ses-later')).toBeNull()
      app.services.sessions.stop()
      await insertSessions(['ses-after-stop'])
      clock.advance(1)
      await Bun.sleep(ms(80))
      expect(await h.store.getSession('ses-after-stop')).not.toBeNull()
    } finally {
      app.services.sessions.stop()
    }
  })
})
