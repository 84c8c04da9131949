// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import type { PgAlertOutbox } from './alerts'
import { notYet } from './stub'

const NAMES = ['insertDeployment', 'storedBytes', 'listDeployments', 'getDeployment', 'cancelDeployment', 'setDeploymentArchived', 'getReportTarget', 'writeEventGroup', 'listDeploymentChanges', 'lastChangeSeq', 'markDeploymentsChanged', 'whenDurable', 'listEventsByArrival', 'stagePayloads', 'dropStagedPayloads', 'listEvents', 'countEvents', 'lastArrival', 'getEventCount', 'dispatchNext', 'listActiveReplays', 'leaseReplays'] as const

export type DeploymentStoreOptions = {
  /** Webhook alerts of terminal statuses, written in the status change's transaction. */
  alerts: PgAlertOutbox
  /** This node's id: a replay created here is leased to it; its notifications name it. */
  nodeId: string
  /** meta.event_id_secret: the key of event ids and content digests. */
  secret: number
  /** How long a replay lease lasts from creation, in microseconds. */
  replayLeaseMicros: number
}

export function createDeploymentStore(_db: PgDb, _options: DeploymentStoreOptions): Pick<Store, (typeof NAMES)[number]> {
  return notYet(NAMES) as unknown as Pick<Store, (typeof NAMES)[number]>
}
