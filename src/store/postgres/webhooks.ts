// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import type { PgAlertOutbox } from './alerts'
import { notYet } from './stub'

const NAMES = ['insertWebhook', 'countWebhooks', 'listWebhooks', 'getWebhook', 'deleteWebhook', 'listDeliveries', 'raiseAlert', 'pingWebhook', 'claimDeliveries', 'finishAttempt', 'pruneDeliveries'] as const

export function createWebhookStores(_db: PgDb): { outbox: PgAlertOutbox; store: Pick<Store, (typeof NAMES)[number]> } {
  return { outbox: { write: async () => 0 }, store: notYet(NAMES) as unknown as Pick<Store, (typeof NAMES)[number]> }
}
