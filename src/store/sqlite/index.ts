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
  // data_version moves when another connection commits; this connection's own commits leave it alone.
  const dataVersion = db.$client.prepare('PRAGMA data_version')
  return {
    async ping() {
      ping.get()
    },
    externalVersion() {
      return (dataVersion.get() as { data_version: number }).data_version
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
