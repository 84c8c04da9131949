// Conformance cases for users, sessions and API keys (docs/api.md §1): the email conflict, updateUser's
// changes, records and last-admin refusal (also with two stores acting at once), password changes ending
// the other sessions, revoking once, newest-first pages through ties, and what another user cannot reach.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { auditEntry, type AuditActor, type AuditEntry } from '../../../src/domain/audit'
import { AppError, type ErrorCode } from '../../../src/domain/errors'
import type { ApiKey, AuditRecord, Session, Store, User } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { allPages, newestFirst, TIE_SUFFIXES } from './catalog'
import { SECOND, seedUser, T0 } from './fixtures'

async function expectCode(promise: Promise<unknown>, code: ErrorCode) {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  expect((error as AppError).code).toBe(code)
}

const actorOf = (user: User, at: number): AuditActor => ({ at, actorId: user.id, actorEmail: user.email, address: '192.0.2.1' })
const records = async (store: Store) => (await store.listAudit({ limit: 100, after: null, actorId: null, action: null })).map(({ seq: _s, ...rest }: AuditRecord) => rest)
const session = (userId: string, id: string, expiresAt = T0 + 3600 * SECOND): Session => ({ id, userId, secretHash: `secret-${id}`, createdAt: T0, expiresAt })
const key = (userId: string, id: string, createdAt = T0): ApiKey & { keyHash: string } => ({
  id,
  userId,
  name: `key ${id}`,
  prefix: 'rs_live_ab',
  environment: 'live',
  scope: 'full',
  createdAt,
  lastUsedAt: null,
  revokedAt: null,
  keyHash: `hash-${id}`,
})
const withoutHash = ({ keyHash: _h, ...rest }: ApiKey & { keyHash: string }): ApiKey => rest

export function accountCases(backend: Backend) {
  describe(`accounts (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('a user reads back by id and email; a taken email is CONFLICT and records nothing', async () => {
      const { store } = opened
      expect(await store.countUsers()).toBe(0)
      const input = { id: 'usr-1', email: 'ada@example.test', name: 'Ada', role: 'admin' as const, passwordHash: 'h1', createdAt: T0 + 1 }
      const audit = auditEntry({ at: T0 + 1, actorId: null, actorEmail: null, address: null }, 'user.create', 'usr-1')
      const user = await store.insertUser(input, audit)
      expect(user).toEqual({ id: 'usr-1', email: 'ada@example.test', name: 'Ada', role: 'admin', createdAt: T0 + 1, disabledAt: null })
      expect(await store.getUserById('usr-1')).toEqual(user)
      expect(await store.getUserByEmail('ada@example.test')).toEqual({ ...user, passwordHash: 'h1' })
      expect(await store.getPasswordHash('usr-1')).toBe('h1')
      expect(await store.getUserById('usr-unknown')).toBeNull()
      expect(await store.getUserByEmail('nobody@example.test')).toBeNull()
      expect(await store.getPasswordHash('usr-unknown')).toBeNull()

      const again = auditEntry({ at: T0 + 2, actorId: null, actorEmail: null, address: null }, 'user.create', 'usr-2')
      await expectCode(store.insertUser({ ...input, id: 'usr-2', name: 'Other' }, again), 'CONFLICT')
      expect(await store.countUsers()).toBe(1)
      expect(await store.getUserById('usr-2')).toBeNull()
      expect(await records(store)).toEqual([audit])
    })

    test('updateUser changes role and disabled state, records each change, and ends the sessions of a disabled user', async () => {
      const { store } = opened
      const admin = await seedUser(store, 'admin')
      const user = await seedUser(store)
      await store.insertSession(session(user.id, 'ses-1'), null)
      await store.insertSession(session(admin.id, 'ses-admin'), null)
      const actor = actorOf(admin, T0 + 10)

      const promoted = await store.updateUser(user.id, { role: 'admin' }, actor)
      expect(promoted).toEqual({ ...user, role: 'admin' })
      const disabled = await store.updateUser(user.id, { role: 'operator', disabled: true }, actorOf(admin, T0 + 20))
      expect(disabled).toEqual({ ...user, role: 'operator', disabledAt: T0 + 20 })
      expect(await store.getUserById(user.id)).toEqual(disabled)
      expect(await store.getSession('ses-1')).toBeNull()
      expect(await store.getSession('ses-admin')).not.toBeNull()
      // Disabling again keeps the first instant and records nothing; so does an unchanged role.
      expect(await store.updateUser(user.id, { disabled: true, role: 'operator' }, actorOf(admin, T0 + 30))).toEqual(disabled)
      const enabled = await store.updateUser(user.id, { disabled: false }, actorOf(admin, T0 + 40))
      expect(enabled).toEqual({ ...user, disabledAt: null })

      const at = (t: number) => actorOf(admin, t)
      expect((await records(store)).reverse()).toEqual([
        auditEntry(at(T0 + 10), 'user.role', user.id, { from: 'operator', to: 'admin' }),
        auditEntry(at(T0 + 20), 'user.role', user.id, { from: 'admin', to: 'operator' }),
        auditEntry(at(T0 + 20), 'user.disable', user.id),
        auditEntry(at(T0 + 40), 'user.enable', user.id),
      ])
      await expectCode(store.updateUser('usr-unknown', { role: 'admin' }, actor), 'NOT_FOUND')
    })

    test('updateUser refuses to leave no active admin (CONFLICT), changing and recording nothing', async () => {
      const { store } = opened
      const admin = await seedUser(store, 'admin')
      const other = await seedUser(store, 'admin')
      const operator = await seedUser(store)
      await store.insertSession(session(admin.id, 'ses-admin'), null)
      const actor = actorOf(admin, T0 + 10)
      // The other admin disabled: it does not count.
      await store.updateUser(other.id, { disabled: true }, actor)
      const before = await records(store)
      await expectCode(store.updateUser(admin.id, { role: 'operator' }, actor), 'CONFLICT')
      await expectCode(store.updateUser(admin.id, { disabled: true }, actor), 'CONFLICT')
      await expectCode(store.updateUser(admin.id, { role: 'operator', disabled: false }, actor), 'CONFLICT')
      expect(await store.getUserById(admin.id)).toEqual(admin)
      expect(await store.getSession('ses-admin')).not.toBeNull()
      expect(await records(store)).toEqual(before)
      // Changes that leave the admin active are fine; so are changes to others.
      expect(await store.updateUser(admin.id, { role: 'admin', disabled: false }, actor)).toEqual(admin)
      await store.updateUser(operator.id, { disabled: true }, actor)
      // A disabled admin's demotion never leaves fewer active admins.
      expect((await store.updateUser(other.id, { role: 'operator' }, actor)).role).toBe('operator')
      // Once another admin is active, the first may step down.
      await store.updateUser(operator.id, { role: 'admin', disabled: false }, actor)
      expect((await store.updateUser(admin.id, { role: 'operator' }, actor)).role).toBe('operator')
      await expectCode(store.updateUser(operator.id, { disabled: true }, actor), 'CONFLICT')
    })

    test('two stores demoting the last two admins at once: one succeeds, the other is CONFLICT', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      for (let round = 0; round < 3; round++) {
        const a = await seedUser(store, 'admin')
        const b = await seedUser(store, 'admin')
        // The admins of earlier rounds were all but one demoted; demote the survivor first.
        const survivors = (await store.listUsers({ limit: 100, after: null })).filter((u) => u.role === 'admin' && u.id !== a.id && u.id !== b.id)
        for (const s of survivors) await store.updateUser(s.id, { role: 'operator' }, actorOf(a, T0))
        const outcomes = await Promise.allSettled([
          store.updateUser(a.id, { role: 'operator' }, actorOf(b, T0 + round)),
          other.updateUser(b.id, round === 1 ? { disabled: true } : { role: 'operator' }, actorOf(a, T0 + round)),
        ])
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
        const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
        expect(rejected.reason).toBeInstanceOf(AppError)
        expect((rejected.reason as AppError).code).toBe('CONFLICT')
        const active = (await other.listUsers({ limit: 100, after: null })).filter((u) => u.role === 'admin' && u.disabledAt === null)
        expect(active).toHaveLength(1)
      }
    })

    test('a password change ends every other session of the user (or all of them), and no one else’s', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      for (const id of ['ses-a1', 'ses-a2', 'ses-a3']) await store.insertSession(session(alice.id, id), null)
      await store.insertSession(session(bob.id, 'ses-b1'), null)
      const other = await opened.openAnother()
      const version = await other.sessionVersion()
      const audit = auditEntry(actorOf(alice, T0 + 5), 'password.change', alice.id)
      await store.updatePasswordHash(alice.id, 'new-hash', 'ses-a2', audit)
      expect(await other.sessionVersion()).not.toBe(version)
      expect(await store.getPasswordHash(alice.id)).toBe('new-hash')
      expect(await store.getPasswordHash(bob.id)).toBe('hash')
      expect(await store.getSession('ses-a1')).toBeNull()
      expect(await store.getSession('ses-a2')).toEqual(session(alice.id, 'ses-a2'))
      expect(await store.getSession('ses-a3')).toBeNull()
      expect(await store.getSession('ses-b1')).not.toBeNull()
      expect(await records(store)).toEqual([audit])
      await store.updatePasswordHash(alice.id, 'newer-hash', null, null)
      expect(await store.getSession('ses-a2')).toBeNull()
      expect(await store.getSession('ses-b1')).not.toBeNull()
      expect((await store.getUserByEmail(alice.email))!.passwordHash).toBe('newer-hash')
    })

    test('sessions: insert with its record, extend, delete once with its record, expire in batches', async () => {
      const { store } = opened
      const user = await seedUser(store)
      const login = auditEntry(actorOf(user, T0), 'login', user.id)
      await store.insertSession(session(user.id, 'ses-1'), login)
      expect(await store.getSession('ses-1')).toEqual(session(user.id, 'ses-1'))
      expect(await store.getSession('ses-unknown')).toBeNull()
      await store.extendSession('ses-1', T0 + 9999 * SECOND)
      expect((await store.getSession('ses-1'))!.expiresAt).toBe(T0 + 9999 * SECOND)
      const logout = auditEntry(actorOf(user, T0 + 1), 'logout', user.id)
      await store.deleteSession('ses-1', logout)
      await store.deleteSession('ses-1', auditEntry(actorOf(user, T0 + 2), 'logout', user.id))
      expect(await store.getSession('ses-1')).toBeNull()
      expect(await records(store)).toEqual([logout, login])

      // Expired at `now` (inclusive), at most `limit` a call.
      for (let i = 0; i < 5; i++) await store.insertSession(session(user.id, `ses-old-${i}`, T0 + i), null)
      await store.insertSession(session(user.id, 'ses-live', T0 + 100), null)
      expect(await store.deleteExpiredSessions(T0 + 4, 3)).toBe(3)
      expect(await store.deleteExpiredSessions(T0 + 4, 3)).toBe(2)
      expect(await store.deleteExpiredSessions(T0 + 4, 3)).toBe(0)
      expect(await store.getSession('ses-live')).not.toBeNull()
    })

    test('listUsers pages newest first through users of one instant', async () => {
      const { store } = opened
      const inserted: User[] = []
      for (const [i, suffix] of TIE_SUFFIXES.entries())
        inserted.push(await store.insertUser({ id: `usr-${suffix}`, email: `${i}@example.test`, name: null, role: 'operator', passwordHash: 'h', createdAt: i % 3 === 0 ? T0 + i : T0 }, null))
      const pages = await allPages(3, (page) => store.listUsers(page))
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2])
      expect(pages.flat()).toEqual([...inserted].sort(newestFirst))
      expect(await store.countUsers()).toBe(TIE_SUFFIXES.length)
    })

    test('API keys: by hash, listed for their owner only, newest first through ties; touch moves last_used_at', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      const created = auditEntry(actorOf(alice, T0), 'key.create', 'key-a')
      const keys = TIE_SUFFIXES.map((s, i) => key(alice.id, `key-${s}`, i < 6 ? T0 : T0 - i))
      await store.insertApiKey(keys[0]!, created)
      for (const k of keys.slice(1)) await store.insertApiKey(k, null)
      await store.insertApiKey(key(bob.id, 'key-bob'), null)
      expect(await records(store)).toEqual([created])
      expect(await store.getApiKeyByHash('hash-key-a')).toEqual(withoutHash(keys[0]!))
      expect(await store.getApiKeyByHash('hash-unknown')).toBeNull()
      const pages = await allPages(3, (page) => store.listApiKeys(alice.id, page))
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2])
      expect(pages.flat()).toEqual(keys.map(withoutHash).sort(newestFirst))
      expect((await store.listApiKeys(bob.id, { limit: 10, after: null })).map((k) => k.id)).toEqual(['key-bob'])

      await store.touchApiKey('key-a', T0 + 77)
      expect((await store.getApiKeyByHash('hash-key-a'))!.lastUsedAt).toBe(T0 + 77)
      expect((await store.getApiKeyByHash('hash-key-b'))!.lastUsedAt).toBeNull()
    })

    test('revokeApiKey revokes once with its record; again, it answers the key as it is; another user’s is null', async () => {
      const { store } = opened
      const [alice, bob] = [await seedUser(store), await seedUser(store)]
      await store.insertApiKey(key(alice.id, 'key-1'), null)
      const other = await opened.openAnother()
      const version = await other.authVersion()

      const first: AuditEntry = auditEntry(actorOf(alice, T0 + 5), 'key.revoke', 'key-1')
      expect(await store.revokeApiKey(bob.id, 'key-1', T0 + 4, auditEntry(actorOf(bob, T0 + 4), 'key.revoke', 'key-1'))).toBeNull()
      expect(await store.revokeApiKey(alice.id, 'key-unknown', T0 + 4, first)).toBeNull()
      expect((await store.getApiKeyByHash('hash-key-1'))!.revokedAt).toBeNull()
      expect(await records(store)).toEqual([])

      const revoked = await store.revokeApiKey(alice.id, 'key-1', T0 + 5, first)
      expect(revoked).toEqual({ ...withoutHash(key(alice.id, 'key-1')), revokedAt: T0 + 5 })
      const moved = await other.authVersion()
      expect(moved).not.toBe(version)
      expect(await other.getApiKeyByHash('hash-key-1')).toEqual(revoked)

      const again = await other.revokeApiKey(alice.id, 'key-1', T0 + 9, auditEntry(actorOf(alice, T0 + 9), 'key.revoke', 'key-1'))
      expect(again).toEqual(revoked)
      expect(await records(store)).toEqual([first])
      expect(await store.revokeApiKey(bob.id, 'key-1', T0 + 10, null)).toBeNull()
    })

    test('authVersion moves, as another store sees it, when a user changes', async () => {
      const { store } = opened
      const admin = await seedUser(store, 'admin')
      const user = await seedUser(store)
      const other = await opened.openAnother()
      const version = await other.authVersion()
      await store.updateUser(user.id, { disabled: true }, actorOf(admin, T0 + 1))
      const afterDisable = await other.authVersion()
      expect(afterDisable).not.toBe(version)
      expect((await other.getUserById(user.id))!.disabledAt).toBe(T0 + 1)
      await store.updatePasswordHash(user.id, 'h2', null, null)
      expect(await other.authVersion()).not.toBe(afterDisable)
    })
  })
}
