// PostgreSQL only: what the conformance suite cannot say through the Store interface, because it takes
// another connection holding a lock in an open transaction (another node's event group, cancel or
// migration in the middle of its work) or a row change no Store method makes (a key or user deleted by
// psql). Each test opens a fresh database on the throwaway cluster (test/pg-cluster.ts).
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { parseEventInput } from '../../src/domain/event'
import { createPostgresStore } from '../../src/store/postgres'
import { openPostgres } from '../../src/store/postgres/db/open'
import type { Deployment, Store } from '../../src/store/types'
import { freshPgDatabase, postgresAvailable } from '../pg-cluster'
import { input, recordInputs, SECOND, seedDeployment, seedPlan, seedUser, T0, type Seeded } from './conformance/fixtures'

/** The advisory lock key of migrations (src/store/postgres/db/open.ts). */
const MIGRATION_LOCK = 0x67632d6d6967

const event = (type: string, timestamp: number) => parseEventInput({ type, timestamp: new Date(timestamp / 1000).toISOString(), payload: {} })

/** A deployment with three log events, then completed at `completedAt`: a retention candidate once older than the cutoff. */
async function completed(store: Store, seeded: Seeded, completedAt: number): Promise<Deployment> {
  const deployment = await seedDeployment(store, seeded)
  const events = [0, 1, 2].map((i) => event('log.line', T0 + i * SECOND))
  const [outcome] = await recordInputs(store, [input(deployment, [...events, event('job.completed', T0 + 3 * SECOND)], completedAt)])
  if (!outcome!.ok) throw outcome!.error
  return deployment
}

/** Lets a statement started on another connection reach the lock it waits for. */
const settle = () => Bun.sleep(300)

const describeOnPg = postgresAvailable() ? describe : describe.skip

describeOnPg('PostgreSQL under contention', () => {
  let database: Awaited<ReturnType<typeof freshPgDatabase>>
  let store: Store
  let raw: SQL
  beforeEach(async () => {
    database = await freshPgDatabase()
    store = createPostgresStore(database.url, { poolSize: 4 })
    await store.ping()
    raw = new SQL(database.url, { max: 2 })
  })
  afterEach(async () => {
    await raw.close()
    await store.close()
    await database.drop()
  })

  test('a poll hands out the oldest pending deployment although another transaction holds its row for a moment', async () => {
    const seeded = await seedPlan(store)
    const oldest = await seedDeployment(store, seeded, { createdAt: T0 })
    await seedDeployment(store, seeded, { createdAt: T0 + SECOND })
    const holder = await raw.reserve()
    try {
      await holder`BEGIN`
      await holder`SELECT id FROM deployments WHERE id = ${oldest.id} FOR UPDATE`
      const poll = store.dispatchNext(seeded.user.id, 'agent-1', [seeded.satelliteId], T0 + 2 * SECOND, () => 'w')
      await settle()
      await holder`ROLLBACK`
      const result = await poll
      expect(result.kind === 'dispatched' && result.change.deployment.id).toBe(oldest.id)
    } finally {
      holder.release()
    }
  })

  test('a poll whose oldest pending deployment is cancelled while it waits hands out the next one', async () => {
    const seeded = await seedPlan(store)
    const oldest = await seedDeployment(store, seeded, { createdAt: T0 })
    const second = await seedDeployment(store, seeded, { createdAt: T0 + SECOND })
    const holder = await raw.reserve()
    try {
      await holder`BEGIN`
      await holder`UPDATE deployments SET status = 'cancelled', completed_at = ${T0 + SECOND} WHERE id = ${oldest.id}`
      const poll = store.dispatchNext(seeded.user.id, 'agent-1', [seeded.satelliteId], T0 + 2 * SECOND, () => 'w')
      await settle()
      await holder`COMMIT`
      const result = await poll
      expect(result.kind === 'dispatched' && result.change.deployment.id).toBe(second.id)
    } finally {
      holder.release()
    }
  })

  test('retention does not end its sweep while a candidate is left, whatever the row it waited for became', async () => {
    const seeded = await seedPlan(store)
    const pruned = await completed(store, seeded, T0 + 10 * SECOND)
    const later = await completed(store, seeded, T0 + 90 * SECOND)
    const cutoff = T0 + 50 * SECOND
    // Another transaction holds the only candidate and leaves it none (as another node's prune of its last
    // batch does), while a second deployment becomes one in the same commit.
    const holder = await raw.reserve()
    try {
      await holder`BEGIN`
      await holder`UPDATE deployments SET event_count = 1 WHERE id = ${pruned.id}`
      await holder`UPDATE deployments SET completed_at = ${T0 + 20 * SECOND} WHERE id = ${later.id}`
      const batch = store.pruneDeploymentEvents(cutoff, 100)
      await settle()
      await holder`COMMIT`
      expect((await batch).deploymentId).toBe(later.id)
    } finally {
      holder.release()
    }
  })

  test('a second node waits for a migration longer than its statement timeout, which its pool keeps', async () => {
    const holder = await raw.reserve()
    try {
      await holder`SELECT pg_advisory_lock(${MIGRATION_LOCK})`
      const started = performance.now()
      const opening = openPostgres(database.url, { poolSize: 2, statementTimeoutMs: 300 })
      await Bun.sleep(1200)
      await holder`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`
      const db = await opening
      try {
        expect(performance.now() - started).toBeGreaterThanOrEqual(1200)
        const [row] = await db.$client`SHOW statement_timeout`
        expect(row.statement_timeout).toBe('300ms')
      } finally {
        await db.$client.close()
      }
    } finally {
      holder.release()
    }
  })

  test('a key or a user deleted moves auth_epoch, a session deleted with its user session_epoch; deleting nothing moves neither', async () => {
    const user = await seedUser(store)
    await store.insertApiKey({ id: 'key-1', userId: user.id, name: 'k', prefix: 'rs_live_ab', environment: 'live', scope: 'full', createdAt: T0, lastUsedAt: null, revokedAt: null, keyHash: 'h1' }, null)
    await store.insertSession({ id: 'ses-1', userId: user.id, secretHash: 'x', createdAt: T0, expiresAt: T0 + 1e9 }, null)
    const versions = async () => ({ auth: await store.authVersion(), session: await store.sessionVersion() })
    const start = await versions()
    await raw`DELETE FROM api_keys WHERE id = 'no-such-key'`
    await raw`DELETE FROM users WHERE id = 'no-such-user'`
    await raw`UPDATE users SET name = name WHERE id = ${user.id}`
    await raw`UPDATE api_keys SET revoked_at = NULL WHERE id = 'key-1'`
    expect(await versions()).toEqual(start)
    await raw`DELETE FROM api_keys WHERE id = 'key-1'`
    const keyGone = await versions()
    expect(keyGone.auth).toBeGreaterThan(start.auth)
    expect(keyGone.session).toBe(start.session)
    await raw`DELETE FROM users WHERE id = ${user.id}`
    const userGone = await versions()
    expect(userGone.auth).toBeGreaterThan(keyGone.auth)
    expect(userGone.session).toBeGreaterThan(keyGone.session)
  })
})
