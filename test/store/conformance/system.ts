// What every backend must do for the server as a whole: answer ping, move authVersion and sessionVersion
// whenever a credential changes by any process, count statuses, and tell its own failures from defects.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { Backend, OpenedStore } from './backend'
import { seedDeployment, seedPlan, seedUser, T0 } from './fixtures'

export function systemCases(backend: Backend) {
  describe(`system (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('ping answers', async () => {
      await opened.store.ping()
    })

    test('authVersion moves when a key is revoked, as seen by another store on the same database', async () => {
      const { store } = opened
      const user = await seedUser(store)
      await store.insertApiKey({ id: 'key-1', userId: user.id, name: 'k', prefix: 'rs_live_ab', environment: 'live', scope: 'full', createdAt: T0, lastUsedAt: null, revokedAt: null, keyHash: 'h1' }, null)
      const other = await opened.openAnother()
      try {
        const before = await other.authVersion()
        await store.revokeApiKey(user.id, 'key-1', T0 + 1, null)
        expect(await other.authVersion()).not.toBe(before)
      } finally {
        await other.close()
      }
    })

    test('sessionVersion moves when a session is deleted', async () => {
      const { store } = opened
      const user = await seedUser(store)
      await store.insertSession({ id: 'ses-1', userId: user.id, secretHash: 'x', createdAt: T0, expiresAt: T0 + 1e9 }, null)
      const before = await store.sessionVersion()
      await store.deleteSession('ses-1', null)
      expect(await store.sessionVersion()).not.toBe(before)
    })

    test('countByStatus counts deployments by status over every user', async () => {
      const { store } = opened
      const a = await seedPlan(store)
      const b = await seedPlan(store)
      await seedDeployment(store, a)
      await seedDeployment(store, b)
      const d = await seedDeployment(store, b)
      await store.cancelDeployment(b.user.id, d.id, T0 + 1, null)
      expect((await store.countByStatus()).deployments).toEqual({ pending: 2, cancelled: 1 })
    })

    test('an error that is not the storage’s own is not unavailability', () => {
      expect(opened.store.isUnavailable(new Error('boom'))).toBe(false)
      expect(opened.store.isUnavailable(null)).toBe(false)
    })
  })
}
