// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import { notYet } from './stub'

const NAMES = ['countUsers', 'insertUser', 'getUserByEmail', 'getUserById', 'getPasswordHash', 'updatePasswordHash', 'listUsers', 'updateUser', 'insertSession', 'getSession', 'extendSession', 'deleteSession', 'deleteExpiredSessions', 'insertApiKey', 'getApiKeyByHash', 'listApiKeys', 'revokeApiKey', 'touchApiKey'] as const

export function createAccountStore(_db: PgDb): Pick<Store, (typeof NAMES)[number]> {
  return notYet(NAMES) as unknown as Pick<Store, (typeof NAMES)[number]>
}
