// Users, sessions and API keys on SQLite, through drizzle's query builder.
import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import { userChangeEntries } from '../../domain/audit'
import { writeAudit } from './audit'
import type { Db } from './db/open'
import type { DurableCommits } from './durable'
import { apiKeys, sessions, users } from './db/schema'
import { AppError, notFound } from '../../domain/errors'
import type { ApiKey, Session, Store, User, UserWithPassword, AccountStore } from '../types'
import { afterKey, newestFirst } from './paging'


const userColumns = { id: users.id, email: users.email, name: users.name, role: users.role, createdAt: users.createdAt, disabledAt: users.disabledAt }
const keyColumns = {
  id: apiKeys.id,
  userId: apiKeys.userId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  environment: apiKeys.environment,
  scope: apiKeys.scope,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
}

export function createAccountStore(db: Db, durable: DurableCommits): AccountStore {
  // Prepared once: these run on every authenticated request.
  const sessionById = db.select().from(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare()
  const keyByHash = db.select(keyColumns).from(apiKeys).where(eq(apiKeys.keyHash, sql.placeholder('hash'))).prepare()
  const deleteExpired = db.$client.prepare<never, [number, number]>(
    'DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= ?1 LIMIT ?2)',
  )

  return {
    async countUsers() {
      return db.$count(users)
    },
    async insertUser(user, audit) {
      return db.transaction((tx) => {
        if (tx.select({ id: users.id }).from(users).where(eq(users.email, user.email)).get())
          throw new AppError('CONFLICT', `a user with email ${user.email} already exists`)
        tx.insert(users).values(user).run()
        if (audit) writeAudit(tx, audit)
        return toUser({ ...user, disabledAt: null })
      }, { behavior: 'immediate' })
    },
    async getUserByEmail(email) {
      return (db.select().from(users).where(eq(users.email, email)).get() as UserWithPassword | undefined) ?? null
    },
    async getUserById(id) {
      return (db.select(userColumns).from(users).where(eq(users.id, id)).get() as User | undefined) ?? null
    },
    async getPasswordHash(userId) {
      return db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, userId)).get()?.hash ?? null
    },
    async updatePasswordHash(userId, passwordHash, keepSessionId, audit) {
      db.transaction((tx) => {
        tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run()
        const mine = eq(sessions.userId, userId)
        tx.delete(sessions).where(keepSessionId === null ? mine : and(mine, ne(sessions.id, keepSessionId))).run()
        if (audit) writeAudit(tx, audit)
      }, { behavior: 'immediate' })
    },
    async updateUser(id, change, actor) {
      // Immediate: the count of active admins and the change are one step, so two admins demoting each
      // other at once cannot both succeed and leave none.
      return db.transaction((tx) => {
        const before = tx.select(userColumns).from(users).where(eq(users.id, id)).get() as User | undefined
        if (!before) throw notFound('user')
        const after: User = {
          ...before,
          role: change.role ?? before.role,
          disabledAt: change.disabled === undefined ? before.disabledAt : change.disabled ? (before.disabledAt ?? actor.at) : null,
        }
        const active = (u: User) => u.role === 'admin' && u.disabledAt === null
        if (active(before) && !active(after)) {
          const others = tx
            .select({ n: sql<number>`count(*)` })
            .from(users)
            .where(and(eq(users.role, 'admin'), isNull(users.disabledAt), ne(users.id, id)))
            .get()!.n
          if (others === 0) throw new AppError('CONFLICT', 'this is the last active admin: make another user admin first')
        }
        const entries = userChangeEntries(actor, before, after)
        if (entries.length === 0) return before
        tx.update(users).set({ role: after.role, disabledAt: after.disabledAt }).where(eq(users.id, id)).run()
        // Disabled: every session ends now; keys stay, refused while disabled (src/auth/service.ts).
        if (before.disabledAt === null && after.disabledAt !== null) tx.delete(sessions).where(eq(sessions.userId, id)).run()
        for (const entry of entries) writeAudit(tx, entry)
        return after
      }, { behavior: 'immediate' })
    },
    async listUsers(page) {
      return db
        .select(userColumns)
        .from(users)
        .where(afterKey(users.createdAt, users.id, page))
        .orderBy(...newestFirst(users.createdAt, users.id))
        .limit(page.limit)
        .all() as User[]
    },

    async insertSession(session, audit) {
      db.transaction((tx) => {
        tx.insert(sessions).values(session).run()
        if (audit) writeAudit(tx, audit)
      })
    },
    async getSession(id) {
      return (sessionById.get({ id }) as Session | undefined) ?? null
    },
    async extendSession(id, expiresAt) {
      db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id)).run()
    },
    async deleteSession(id, audit) {
      db.transaction((tx) => {
        const deleted = tx.delete(sessions).where(eq(sessions.id, id)).returning({ id: sessions.id }).all().length
        if (audit && deleted > 0) writeAudit(tx, audit)
      })
    },

    async deleteExpiredSessions(now, limit) {
      // In small batches (the caller loops), so a large backlog never holds the write lock for long.
      return deleteExpired.run(now, limit).changes
    },

    async insertApiKey(key, audit) {
      db.transaction((tx) => {
        tx.insert(apiKeys).values(key).run()
        if (audit) writeAudit(tx, audit)
      })
    },
    async getApiKeyByHash(keyHash) {
      return (keyByHash.get({ hash: keyHash }) as ApiKey | undefined) ?? null
    },
    async listApiKeys(userId, page) {
      return db
        .select(keyColumns)
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, userId), afterKey(apiKeys.createdAt, apiKeys.id, page)))
        .orderBy(...newestFirst(apiKeys.createdAt, apiKeys.id))
        .limit(page.limit)
        .all() as ApiKey[]
    },
    async revokeApiKey(userId, id, now, audit) {
      const mine = and(eq(apiKeys.id, id), eq(apiKeys.userId, userId))
      return db.transaction((tx) => {
        const revoked = tx.update(apiKeys).set({ revokedAt: now }).where(and(mine, isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id }).all().length
        // Recorded once, by the revoke that did it; a second one changes nothing and records nothing.
        if (audit && revoked > 0) writeAudit(tx, audit)
        return (tx.select(keyColumns).from(apiKeys).where(mine).get() as ApiKey | undefined) ?? null
      })
    },
    // last_used_at is not acknowledged data: committed without waiting for a flush (durable.ts).
    async touchApiKey(id, now) {
      durable.commitUnflushed(() => db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id)).run())
    },
  }
}

const toUser = ({ id, email, name, role, createdAt, disabledAt }: UserWithPassword): User => ({ id, email, name, role, createdAt, disabledAt })
