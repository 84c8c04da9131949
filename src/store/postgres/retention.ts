// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import { notYet } from './stub'

const NAMES = ['pruneDeploymentEvents', 'pruneAgentTelemetry'] as const

export function createRetentionStore(_db: PgDb): Pick<Store, (typeof NAMES)[number]> {
  return notYet(NAMES) as unknown as Pick<Store, (typeof NAMES)[number]>
}
