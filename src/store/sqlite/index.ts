// The SQLite implementation of the Store: opens the file (src/db/open.ts) and joins the per-resource parts.
import { openDatabase, type OpenOptions } from '../../db/open'
import type { Store } from '../types'
import { createAccountStore } from './accounts'
import { createAgentStore } from './agents'
import { createCatalogStore } from './catalog'
import { createDeploymentStore } from './deployments'

export function createSqliteStore(path: string, options: OpenOptions = {}): Store {
  const db = openDatabase(path, options)
  const ping = db.$client.prepare('SELECT 1')
  const authEpoch = db.$client.prepare("SELECT value FROM meta WHERE key = 'auth_epoch'")
  return {
    async ping() {
      ping.get()
    },
    async authVersion() {
      return (authEpoch.get() as { value: number }).value
    },
    close() {
      db.$client.close()
    },
    ...createAccountStore(db),
    ...createCatalogStore(db),
    ...createDeploymentStore(db),
    ...createAgentStore(db),
  }
}
