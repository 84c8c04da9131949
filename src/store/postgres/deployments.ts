// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import type { PgAlertOutbox } from './alerts'
import { notYet } from './stub'
import { createEventStore } from './events'

const NAMES = ['insertDeployment', 'storedBytes', 'listDeployments', 'getDeployment', 'cancelDeployment', 'setDeploymentArchived', 'listDeploymentChanges', 'lastChangeSeq', 'markDeploymentsChanged', 'dispatchNext', 'listActiveReplays', 'leaseReplays'] as const

export type DeploymentStoreOptions = {
  /** Webhook alerts of terminal statuses, written in the status change's transaction. */
  alerts: PgAlertOutbox
  /** This node's id: a replay created here is leased to it; its notices name it (news.ts). */
  nodeId: string
  /** meta.event_id_secret: the key of event ids and content digests. */
  secret: number
  /** How long a replay lease lasts from creation or renewal, in microseconds. */
  replayLeaseMicros: number
}

type DeploymentStore = Pick<Store, (typeof NAMES)[number]>

/** The deployments, and their events (events.ts). */
export function createDeploymentStore(db: PgDb, options: DeploymentStoreOptions): DeploymentStore & ReturnType<typeof createEventStore> {
  return { ...(notYet(NAMES) as unknown as DeploymentStore), ...createEventStore(db, options) }
}
