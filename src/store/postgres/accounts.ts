// Users, sessions and API keys on PostgreSQL: the port of src/store/sqlite/accounts.ts. A write that takes
// an audit entry writes it in its own transaction (docs/api.md §1 "Audit"). The triggers of
// drizzle/postgres/0001_meta.sql move auth_epoch and session_epoch for every node's caches; nothing here
// keeps state in memory.
import { userChangeEntries } from '../../domain/audit'
import { AppError, notFound } from '../../domain/errors'
import type { ApiKey, Session, Store, User, UserWithPassword, AccountStore } from '../types'
import { writeAudit } from './audit-write'
import { afterKey, NEWEST_FIRST } from './catalog'
import type { PgDb } from './db/open'
import { int, intOrNull, transaction, type Sql } from './tx'


type Row = Record<string, unknown>

const USER_COLUMNS = 'id, email, name, role, created_at, disabled_at'
const KEY_COLUMNS = 'id, user_id, name, prefix, environment, scope, created_at, last_used_at, revoked_at'

const toUser = (row: Row): User => ({
  id: row.id as string,
  email: row.email as string,
  name: (row.name as string | null) ?? null,
  role: row.role as User['role'],
  createdAt: int(row.created_at),
  disabledAt: intOrNull(row.disabled_at),
})
const toSession = (row: Row): Session => ({
  id: row.id as string,
  userId: row.user_id as string,
  secretHash: row.secret_hash as string,
  createdAt: int(row.created_at),
  expiresAt: int(row.expires_at),
})
const toKey = (row: Row): ApiKey => ({
  id: row.id as string,
  userId: row.user_id as string,
  name: row.name as string,
  prefix: row.prefix as string,
  environment: row.environment as ApiKey['environment'],
  scope: row.scope as ApiKey['scope'],
  createdAt: int(row.created_at),
  lastUsedAt: intOrNull(row.last_used_at),
  revokedAt: intOrNull(row.revoked_at),
})

/** Whether the user counts as an active admin: the one updateUser must never leave the server without. */
const activeAdmin = (u: Pick<User, 'role' | 'disabledAt'>) => u.role === 'admin' && u.disabledAt === null

export function createAccountStore(db: PgDb): AccountStore {
  const sql = db.$client
  const userColumns = sql.unsafe(USER_COLUMNS)
  const keyColumns = sql.unsafe(KEY_COLUMNS)
  const order = sql.unsafe(NEWEST_FIRST)
  return {
    async countUsers() {
      const [row] = await sql`SELECT count(*) AS n FROM users`
      return int(row!.n)
    },
    async insertUser(user, audit) {
      return transaction(sql, async (tx) => {
        // A taken email (even by a node inserting it at this moment) inserts nothing: CONFLICT, as SQLite's.
        const inserted = await tx`INSERT INTO users (id, email, name, role, password_hash, created_at)
          VALUES (${user.id}, ${user.email}, ${user.name}, ${user.role}, ${user.passwordHash}, ${user.createdAt})
          ON CONFLICT (email) DO NOTHING RETURNING id`
        if (inserted.length === 0) throw new AppError('CONFLICT', `a user with email ${user.email} already exists`)
        if (audit) await writeAudit(tx, audit)
        return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt, disabledAt: null }
      })
    },
    async getUserByEmail(email) {
      const [row] = await sql`SELECT ${userColumns}, password_hash FROM users WHERE email = ${email}`
      return row ? ({ ...toUser(row), passwordHash: row.password_hash as string } satisfies UserWithPassword) : null
    },
    async getUserById(id) {
      const [row] = await sql`SELECT ${userColumns} FROM users WHERE id = ${id}`
      return row ? toUser(row) : null
    },
    async getPasswordHash(userId) {
      const [row] = await sql`SELECT password_hash FROM users WHERE id = ${userId}`
      return row ? (row.password_hash as string) : null
    },
    async updatePasswordHash(userId, passwordHash, keepSessionId, audit) {
      await transaction(sql, async (tx) => {
        await tx`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${userId}`
        const kept = keepSessionId === null ? tx`` : tx`AND id <> ${keepSessionId}`
        await tx`DELETE FROM sessions WHERE user_id = ${userId} ${kept}`
        if (audit) await writeAudit(tx, audit)
      })
    },
    async updateUser(id, change, actor) {
      return transaction(sql, (tx) => changeUser(tx, id, change, actor))
    },
    async listUsers(page) {
      const rows = await sql`SELECT ${userColumns} FROM users WHERE true ${afterKey(sql, page)} ${order} LIMIT ${page.limit}`
      return rows.map(toUser)
    },

    async insertSession(s, audit) {
      await transaction(sql, async (tx) => {
        await tx`INSERT INTO sessions (id, user_id, secret_hash, created_at, expires_at)
          VALUES (${s.id}, ${s.userId}, ${s.secretHash}, ${s.createdAt}, ${s.expiresAt})`
        if (audit) await writeAudit(tx, audit)
      })
    },
    async getSession(id) {
      const [row] = await sql`SELECT id, user_id, secret_hash, created_at, expires_at FROM sessions WHERE id = ${id}`
      return row ? toSession(row) : null
    },
    async extendSession(id, expiresAt) {
      await sql`UPDATE sessions SET expires_at = ${expiresAt} WHERE id = ${id}`
    },
    async deleteSession(id, audit) {
      await transaction(sql, async (tx) => {
        const deleted = await tx`DELETE FROM sessions WHERE id = ${id} RETURNING id`
        if (audit && deleted.length > 0) await writeAudit(tx, audit)
      })
    },
    async deleteExpiredSessions(now, limit) {
      // In small batches (the caller loops), so a large backlog never holds locks for long; rows another
      // node's sweep holds are left to it.
      const result = await sql`DELETE FROM sessions WHERE id IN (
        SELECT id FROM sessions WHERE expires_at <= ${now} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`
      return result.count
    },

    async insertApiKey(k, audit) {
      await transaction(sql, async (tx) => {
        await tx`INSERT INTO api_keys (id, user_id, name, prefix, environment, scope, key_hash, created_at, last_used_at, revoked_at)
          VALUES (${k.id}, ${k.userId}, ${k.name}, ${k.prefix}, ${k.environment}, ${k.scope}, ${k.keyHash}, ${k.createdAt}, ${k.lastUsedAt}, ${k.revokedAt})`
        if (audit) await writeAudit(tx, audit)
      })
    },
    async getApiKeyByHash(keyHash) {
      const [row] = await sql`SELECT ${keyColumns} FROM api_keys WHERE key_hash = ${keyHash}`
      return row ? toKey(row) : null
    },
    async listApiKeys(userId, page) {
      const rows = await sql`SELECT ${keyColumns} FROM api_keys WHERE user_id = ${userId} ${afterKey(sql, page)} ${order} LIMIT ${page.limit}`
      return rows.map(toKey)
    },
    async revokeApiKey(userId, id, now, audit) {
      return transaction(sql, async (tx) => {
        const [revoked] = await tx`UPDATE api_keys SET revoked_at = ${now}
          WHERE id = ${id} AND user_id = ${userId} AND revoked_at IS NULL RETURNING ${tx.unsafe(KEY_COLUMNS)}`
        // Recorded once, by the revoke that did it; a second one changes nothing and records nothing.
        if (revoked) {
          if (audit) await writeAudit(tx, audit)
          return toKey(revoked)
        }
        const [row] = await tx`SELECT ${tx.unsafe(KEY_COLUMNS)} FROM api_keys WHERE id = ${id} AND user_id = ${userId}`
        return row ? toKey(row) : null
      })
    },
    // last_used_at is not acknowledged data, and its column moves no epoch (0001_meta.sql's triggers).
    async touchApiKey(id, now) {
      await sql`UPDATE api_keys SET last_used_at = ${now} WHERE id = ${id}`
    },
  }
}

/**
 * updateUser inside its transaction. The user and every active admin are locked first, in one statement
 * in id order (no deadlock between two of these), so two nodes demoting or disabling the last two admins
 * at once are serialised: the second counts the admins the first left, and gets CONFLICT. FOR NO KEY
 * UPDATE is the lock the UPDATE takes anyway; unlike FOR UPDATE it lets a login's session insert (its
 * foreign key check) go on meanwhile (a session of a disabled user is refused on use: src/auth/service.ts).
 */
async function changeUser(tx: Sql, id: string, change: Parameters<Store['updateUser']>[1], actor: Parameters<Store['updateUser']>[2]): Promise<User> {
  const locked: User[] = (await tx`SELECT ${tx.unsafe(USER_COLUMNS)} FROM users
    WHERE id = ${id} OR (role = 'admin' AND disabled_at IS NULL) ORDER BY id FOR NO KEY UPDATE`).map(toUser)
  const before = locked.find((u) => u.id === id)
  if (!before) throw notFound('user')
  const after: User = {
    ...before,
    role: change.role ?? before.role,
    disabledAt: change.disabled === undefined ? before.disabledAt : change.disabled ? (before.disabledAt ?? actor.at) : null,
  }
  // The locked rows are the latest versions still matching: the other active admins as committed now.
  if (activeAdmin(before) && !activeAdmin(after) && !locked.some((u) => u.id !== id && activeAdmin(u)))
    throw new AppError('CONFLICT', 'this is the last active admin: make another user admin first')
  const entries = userChangeEntries(actor, before, after)
  if (entries.length === 0) return before
  await tx`UPDATE users SET role = ${after.role}, disabled_at = ${after.disabledAt} WHERE id = ${id}`
  // Disabled: every session ends now; keys stay, refused while disabled (src/auth/service.ts).
  if (before.disabledAt === null && after.disabledAt !== null) await tx`DELETE FROM sessions WHERE user_id = ${id}`
  for (const entry of entries) await writeAudit(tx, entry)
  return after
}
