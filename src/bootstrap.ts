// First start on an empty database: create the admin who can then create everyone else (api.md §1).
import { randomBytes } from 'node:crypto'
import type { AuthService } from './auth/service'
import type { Store } from './store/types'

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost'

/** Returns the created admin's credentials (the password only when generated), or null when users exist. */
export async function ensureAdmin(store: Store, auth: AuthService, configured: { email?: string; password?: string }) {
  if ((await store.countUsers()) > 0) return null
  const email = configured.email ?? DEFAULT_ADMIN_EMAIL
  const generated = configured.password === undefined ? randomBytes(15).toString('base64url') : undefined
  await auth.createUser({ email, password: configured.password ?? generated!, name: 'Administrator', role: 'admin' })
  return { email, generatedPassword: generated }
}
