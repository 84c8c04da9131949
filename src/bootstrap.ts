// First start on an empty database: create the admin who can then create everyone else (docs/api.md §1), and
// hand a generated password over once (docs/auth.md "First start").
import { AppError } from './domain/errors'
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { NO_ACTOR, type AuthService } from './auth/service'
import type { Store } from './store/types'

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost'
export const INITIAL_PASSWORD_FILE = 'initial-admin-password'

/** Where a generated password goes: `terminal` (shown on stdout by the caller) or a file beside `dbPath`. */
export type HandOver = { terminal: boolean; dbPath: string }

/**
 * Returns the created admin (the password only when generated, and the file it was written to when not
 * on a terminal), or null when users exist.
 */
export async function ensureAdmin(store: Store, auth: AuthService, configured: { email?: string; password?: string }, handOver?: HandOver) {
  if ((await store.countUsers()) > 0) return null
  const email = configured.email ?? DEFAULT_ADMIN_EMAIL
  const generated = configured.password === undefined ? randomBytes(15).toString('base64url') : undefined
  // Written before the user exists: if writing fails the start fails and the next one tries again, instead
  // of leaving an admin whose password nobody ever saw.
  const passwordFile = generated !== undefined && handOver && !handOver.terminal ? writeSecretFile(join(dirname(handOver.dbPath), INITIAL_PASSWORD_FILE), `${generated}\n`) : undefined
  try {
    await auth.createUser({ email, password: configured.password ?? generated!, name: 'Administrator', role: 'admin' }, NO_ACTOR, 'first start')
  } catch (error) {
    // Several nodes started at once on one empty PostgreSQL database (docs/postgres.md): the first to
    // commit made the admin, whose password is in its own log or file; this one's would not work.
    if (passwordFile) rmSync(passwordFile, { force: true })
    if (error instanceof AppError && error.code === 'CONFLICT') return null
    throw error
  }
  return { email, generatedPassword: generated, passwordFile }
}

/**
 * A file only the owner may read: a journal or a log collector keeps stdout forever, so a password never
 * goes there when nobody is watching a terminal. A stale file is replaced; O_EXCL refuses a planted link.
 */
function writeSecretFile(path: string, text: string): string {
  rmSync(path, { force: true })
  const fd = openSync(path, 'wx', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return path
}
