// Users, sessions and API keys on SQLite, through drizzle's query builder.
import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../../db/open'
import type { DurableCommits } from './durable'
import { apiKeys, sessions, users } from '../../db/schema'
import { AppError } from '../../domain/errors'
import type { ApiKey, Session, Store, User, UserWithPassword } from '../types'
import { afterKey, newestFirst } from './paging'

type AccountStore = Pick<
  Store,
  | 'countUsers'
  | 'insertUser'
  | 'getUserByEmail'
  | 'getUserById'
  | 'getPasswordHash'
  | 'updatePasswordHash'
  | 'listUsers'
  | 'insertSession'
  | 'getSession'
  | 'extendSession'
  | 'deleteSession'
  | 'deleteExpiredSessions'
  | 'insertApiKey'
  | 'getApiKeyByHash'
  | 'listApiKeys'
  | 'revokeApiKey'
  | 'touchApiKey'
>

const userColumns = { id: users.id, email: users.email, name: users.name, role: users.role, createdAt: users.createdAt }
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
    async insertUser(user) {
      return db.transaction((tx) => {
        if (tx.select({ id: users.id }).from(users).where(eq(users.email, user.email)).get())
          throw new AppError('CONFLICT', `a user with email ${user.email} already exists`)
        tx.insert(users).values(user).run()
        return toUser(user)
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
    async updatePasswordHash(userId, passwordHash, keepSessionId) {
      db.transaction((tx) => {
        tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run()
        const mine = eq(sessions.userId, userId)
        tx.delete(sessions).where(keepSessionId === null ? mine : and(mine, ne(sessions.id, keepSessionId))).run()
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

    async insertSession(session) {
      db.insert(sessions).values(session).run()
    },
    async getSession(id) {
      return (sessionById.get({ id }) as Session | undefined) ?? null
    },
    async extendSession(id, expiresAt) {
      db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id)).run()
    },
    async deleteSession(id) {
      db.delete(sessions).where(eq(sessions.id, id)).run()
    },

    async deleteExpiredSessions(now, limit) {
      // In small batches (the caller loops), so a large backlog never holds the write lock for long.
      return deleteExpired.run(now, limit).changes
    },

    async insertApiKey(key) {
      db.insert(apiKeys).values(key).run()
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
    async revokeApiKey(userId, id, now) {
      const mine = and(eq(apiKeys.id, id), eq(apiKeys.userId, userId))
      db.update(apiKeys).set({ revokedAt: now }).where(and(mine, isNull(apiKeys.revokedAt))).run()
      return (db.select(keyColumns).from(apiKeys).where(mine).get() as ApiKey | undefined) ?? null
    },
    // last_used_at is not acknowledged data: committed without waiting for a flush (durable.ts).
    async touchApiKey(id, now) {
      durable.commitUnflushed(() => db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id)).run())
    },
  }
}

const toUser = ({ id, email, name, role, createdAt }: UserWithPassword): User => ({ id, email, name, role, createdAt })
