// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import { notYet } from './stub'

const NAMES = ['touchAgent', 'registerAgent', 'recordTelemetry', 'listAgents', 'getAgent', 'listTelemetry', 'deleteAgent', 'listSilentAgents', 'listAgentLiveDeployments', 'markAgentLost'] as const

export function createAgentStore(_db: PgDb): Pick<Store, (typeof NAMES)[number]> {
  return notYet(NAMES) as unknown as Pick<Store, (typeof NAMES)[number]>
}
