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

    test('a statement that changes nothing moves neither epoch; each real change moves its own', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const admin = await seedUser(store, 'admin')
      const actor = { at: T0 + 5, actorId: admin.id, actorEmail: admin.email, address: null }
      await store.insertApiKey({ id: 'key-1', userId: user.id, name: 'k', prefix: 'rs_live_ab', environment: 'live', scope: 'full', createdAt: T0, lastUsedAt: null, revokedAt: null, keyHash: 'h1' }, null)
      await store.insertSession({ id: 'ses-1', userId: user.id, secretHash: 'x', createdAt: T0, expiresAt: T0 + 1e9 }, null)
      await store.revokeApiKey(user.id, 'key-1', T0 + 1, null)
      const versions = async () => ({ auth: await store.authVersion(), session: await store.sessionVersion() })
      const before = await versions()
      // None of these changes a row: a key revoked again, unknown keys, an unknown session, nothing expired, a key used.
      await store.revokeApiKey(user.id, 'key-1', T0 + 2, null)
      await store.revokeApiKey(user.id, 'no-such-key', T0 + 2, null)
      await store.revokeApiKey(admin.id, 'key-1', T0 + 2, null)
      await store.deleteSession('no-such-session', null)
      expect(await store.deleteExpiredSessions(T0, 100)).toBe(0)
      await store.touchApiKey('key-1', T0 + 3)
      await store.updateUser(user.id, { role: 'operator' }, actor)
      expect(await versions()).toEqual(before)
      // A user changed moves auth_epoch; a password change that ends the other sessions moves both.
      await store.updateUser(user.id, { role: 'admin' }, actor)
      const promoted = await versions()
      expect(promoted.auth).not.toBe(before.auth)
      expect(promoted.session).toBe(before.session)
      await store.updatePasswordHash(user.id, 'hash-2', null, null)
      const reset = await versions()
      expect(reset.auth).not.toBe(promoted.auth)
      expect(reset.session).not.toBe(promoted.session)
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
