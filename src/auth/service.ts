// Who is calling: password login and sessions, API keys, and the users they belong to (docs/api.md §1).
// Verifiers return null for a bad credential instead of throwing; the HTTP layer turns that into 401.
import type { KeyEnvironment, KeyScope, Role } from '../domain/accounts'
import { AppError } from '../domain/errors'
import { AUDIT_EMAIL_MAX, auditEntry, type AuditActor } from '../domain/audit'
import { newId } from '../domain/ids'
import type { Clock } from '../domain/time'
import type { ApiKey, Store, User, UserChange } from '../store/types'
import { createLoginThrottle } from './login-throttle'
import { generateApiKey, generateSessionSecret, hashesEqual, sha256Hex, splitSessionToken } from './tokens'

export const SESSION_TTL_MICROS = 7 * 24 * 3600 * 1_000_000
const LAST_USED_RESOLUTION_MICROS = 60 * 1_000_000
const KEY_CACHE_MAX = 10_000
/**
 * On a database no other server writes (SQLite), how long a read of the auth version stands: this server's
 * own changes go through this service, which forgets at once; another process's (sqlite3) count within this.
 * Read on every request it was 7% of a single report's CPU (the profile in docs/performance.md).
 */
export const LOCAL_AUTH_VERSION_FRESH_MS = 100

export type PasswordOptions = { algorithm: 'argon2id'; memoryCost?: number; timeCost?: number }
export type AuthDeps = { store: Store; clock: Clock; password?: PasswordOptions }
export type AuthService = ReturnType<typeof createAuthService>

export const normaliseEmail = (email: string) => email.trim().toLowerCase()

/** The actor of what is done without a request (the command line, first start): nobody known, no address. */
export const NO_ACTOR = { at: 0, actorId: null, actorEmail: null, address: null } as const satisfies AuditActor

export function createAuthService({ store, clock, password = { algorithm: 'argon2id' } }: AuthDeps) {
  const throttle = createLoginThrottle(clock)
  // Verified against when the email is unknown, so both failures take the same time.
  let dummyHash: Promise<string> | undefined
  const keyCache = new Map<string, { user: User; key: ApiKey }>()
  let keyCacheVersion = -1
  /** Moved before and after each change of a key or user made here: a lookup that spans one is not remembered. */
  let changesHere = 0
  let versionRead = { value: -1, at: -Infinity }

  /** `fresh`: read now, whatever was read less than LOCAL_AUTH_VERSION_FRESH_MS ago. */
  async function authVersion(fresh = false): Promise<number> {
    if (fresh || store.credentialsSharedWithNodes) return store.authVersion()
    const now = performance.now()
    if (now - versionRead.at >= LOCAL_AUTH_VERSION_FRESH_MS) versionRead = { value: await store.authVersion(), at: now }
    return versionRead.value
  }

  /** A change of keys or users made here: whatever was remembered is forgotten at once (and no lookup in flight is kept). */
  async function changingCredentials<T>(change: () => Promise<T>): Promise<T> {
    changesHere++
    try {
      return await change()
    } finally {
      changesHere++
      keyCache.clear()
      versionRead = { value: -1, at: -Infinity }
    }
  }

  /**
   * `actor`: who creates the user, recorded as `user.create` (null: nothing recorded; tests). `via` says
   * where a user made without a request came from (`cli`, `first start`).
   */
  async function createUser(
    input: { email: string; password: string; name?: string | null; role?: Role },
    actor: AuditActor | null = null,
    via: 'cli' | 'first start' | null = null,
  ): Promise<User> {
    const user = {
      id: newId('user'),
      email: normaliseEmail(input.email),
      name: input.name ?? null,
      role: input.role ?? 'operator',
      passwordHash: await Bun.password.hash(input.password, password),
      createdAt: clock(),
    }
    const detail = { email: user.email, role: user.role, ...(via ? { via } : {}) }
    return store.insertUser(user, actor && auditEntry({ ...actor, at: user.createdAt }, 'user.create', user.id, detail))
  }

  /**
   * A wrong email, a wrong password and a disabled user are the same 401 (docs/api.md §1): the answer
   * reveals nothing; the audit log says which it was, for admins.
   */
  async function login(email: string, secret: string, address: string) {
    const emailKey = normaliseEmail(email)
    const attempt = throttle.begin(address, `email:${emailKey}`)
    const user = await store.getUserByEmail(emailKey)
    dummyHash ??= Bun.password.hash('not a real password', password)
    const ok = await Bun.password.verify(secret, user?.passwordHash ?? (await dummyHash))
    if (!user || !ok || user.disabledAt !== null) {
      const reason = !user ? 'unknown_email' : !ok ? 'wrong_password' : 'disabled'
      const actor = { at: clock(), actorId: user?.id ?? null, actorEmail: user?.email ?? emailKey.slice(0, AUDIT_EMAIL_MAX), address }
      await store.recordAudit(auditEntry(actor, 'login_failed', user?.id ?? null, { reason }))
      throw new AppError('UNAUTHORIZED', 'wrong email or password')
    }
    attempt.succeeded()
    const sessionSecret = generateSessionSecret()
    const session = { id: newId('session'), userId: user.id, secretHash: sha256Hex(sessionSecret), createdAt: clock(), expiresAt: clock() + SESSION_TTL_MICROS }
    await store.insertSession(session, auditEntry({ at: session.createdAt, actorId: user.id, actorEmail: user.email, address }, 'login', user.id))
    const { passwordHash: _hidden, ...visible } = user
    return { user: visible as User, token: `${session.id}.${sessionSecret}`, expiresAt: session.expiresAt }
  }

  /** The user behind a session token; slides the expiry forward once half the lifetime has passed. */
  async function authenticateSession(token: string) {
    const parts = splitSessionToken(token)
    if (!parts) return null
    const session = await store.getSession(parts.id)
    if (!session || !hashesEqual(session.secretHash, sha256Hex(parts.secret))) return null
    const now = clock()
    if (session.expiresAt <= now) {
      await store.deleteSession(session.id, null)
      return null
    }
    const user = await store.getUserById(session.userId)
    // Disabling deletes the user's sessions; this also holds for one disabled by hand (sqlite3).
    if (!user || user.disabledAt !== null) return null
    let renewedUntil: number | null = null
    if (session.expiresAt - now < SESSION_TTL_MICROS / 2) {
      renewedUntil = now + SESSION_TTL_MICROS
      await store.extendSession(session.id, renewedUntil)
    }
    return { user, sessionId: session.id, renewedUntil }
  }

  /**
   * Whether a credential an open stream was authenticated with still holds (docs/api.md §3.3: a revoked key, a
   * logout or a password change ends the stream): read-only, it neither renews nor deletes a session.
   */
  async function stillValid(credential: { via: 'key'; key: string } | { via: 'session'; token: string }): Promise<boolean> {
    // Fresh: the streams ask because the stored version moved, and must not be answered from before it.
    if (credential.via === 'key') return (await authenticateKey(credential.key, true)) !== null
    const parts = splitSessionToken(credential.token)
    if (!parts) return false
    const session = await store.getSession(parts.id)
    if (!session || !hashesEqual(session.secretHash, sha256Hex(parts.secret)) || session.expiresAt <= clock()) return false
    const user = await store.getUserById(session.userId)
    return user !== null && user.disabledAt === null
  }

  /**
   * Changes the caller's password after checking the current one (throttled like a login, per user), and
   * ends every other session of the caller; the session making the change stays valid.
   */
  async function changePassword(user: User, sessionId: string, current: string, next: string, address: string) {
    const attempt = throttle.begin(address, `user:${user.id}`)
    const hash = await store.getPasswordHash(user.id)
    if (hash === null || !(await Bun.password.verify(current, hash)))
      throw new AppError('VALIDATION', 'current_password: is not your current password')
    attempt.succeeded()
    const actor = { at: clock(), actorId: user.id, actorEmail: user.email, address }
    await store.updatePasswordHash(user.id, await Bun.password.hash(next, password), sessionId, auditEntry(actor, 'password.change', user.id))
  }

  /**
   * Sets another user's password (an admin's reset, or the command line: `actor` says which) and ends every
   * session of that user. False when no such user exists.
   */
  async function resetPassword(userId: string, next: string, actor: AuditActor): Promise<boolean> {
    const target = await store.getUserById(userId)
    if (!target) return false
    const detail = actor.address === null ? { via: 'cli' } : null
    const hash = await Bun.password.hash(next, password)
    await store.updatePasswordHash(userId, hash, null, auditEntry({ ...actor, at: clock() }, 'password.reset', userId, detail))
    return true
  }

  /** Role and disabled (docs/api.md §1): see Store.updateUser. The key memory forgets through the auth version. */
  async function updateUser(id: string, change: UserChange, actor: AuditActor): Promise<User> {
    return changingCredentials(() => store.updateUser(id, change, actor))
  }

  async function logout(token: string, address: string) {
    const parts = splitSessionToken(token)
    const session = parts && (await authenticateSession(token))
    if (parts && session)
      await store.deleteSession(parts.id, auditEntry({ at: clock(), actorId: session.user.id, actorEmail: session.user.email, address }, 'logout', session.user.id))
  }

  /**
   * The user behind an API key. Valid keys are remembered in memory, so the hot path neither hashes nor
   * looks the key up; the memory is dropped whenever the stored auth version moves (any revocation, by
   * any process), so a revocation holds from the very next request.
   */
  async function authenticateKey(key: string, fresh = false): Promise<{ user: User; key: ApiKey } | null> {
    if (key.length > 256) return null
    const changesBefore = changesHere
    const version = await authVersion(fresh)
    if (fresh) versionRead = { value: version, at: performance.now() }
    if (version !== keyCacheVersion) {
      keyCache.clear()
      keyCacheVersion = version
    }
    let found = keyCache.get(key)
    if (!found) {
      const apiKey = await store.getApiKeyByHash(sha256Hex(key))
      if (!apiKey || apiKey.revokedAt !== null) return null
      const user = await store.getUserById(apiKey.userId)
      // A disabled user's keys are refused while the user is; enabling them again brings the keys back.
      if (!user || user.disabledAt !== null) return null
      found = { user, key: apiKey }
      // Remember it only if nothing was revoked while we looked: a revocation that landed between the
      // lookup and now must not be papered over by a cache entry made from the older read.
      if (changesHere === changesBefore && keyCacheVersion === version && (await authVersion()) === version) {
        if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear()
        keyCache.set(key, found)
      }
    }
    const now = clock()
    // last_used_at is kept to the minute: one write a minute per key, not one per request.
    if (found.key.lastUsedAt === null || now - found.key.lastUsedAt >= LAST_USED_RESOLUTION_MICROS) {
      found.key.lastUsedAt = now
      await store.touchApiKey(found.key.id, now)
    }
    return found
  }

  async function revokeKey(userId: string, id: string, actor: AuditActor) {
    const now = clock()
    return changingCredentials(() => store.revokeApiKey(userId, id, now, auditEntry({ ...actor, at: now }, 'key.revoke', id)))
  }

  /** `actor`: who creates it (the owner's session, or the command line with address null). */
  async function createKey(userId: string, name: string, environment: KeyEnvironment, scope: KeyScope, actor: AuditActor) {
    const generated = generateApiKey(environment)
    const apiKey: ApiKey = { id: newId('apiKey'), userId, name, prefix: generated.prefix, environment, scope, createdAt: clock(), lastUsedAt: null, revokedAt: null }
    const detail = { name, environment, scope, owner: userId, ...(actor.address === null ? { via: 'cli' } : {}) }
    await store.insertApiKey({ ...apiKey, keyHash: generated.hash }, auditEntry({ ...actor, at: apiKey.createdAt }, 'key.create', apiKey.id, detail))
    return { apiKey, key: generated.key }
  }

  return { createUser, login, logout, changePassword, resetPassword, updateUser, authenticateSession, authenticateKey, stillValid, createKey, revokeKey }
}
