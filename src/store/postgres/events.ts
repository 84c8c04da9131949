// Not written yet (src/store/postgres/stub.ts).
import type { PgDb } from './db/open'
import type { Store } from '../types'
import type { DeploymentStoreOptions } from './deployments'
import { notYet } from './stub'

export const EVENT_METHODS = ['writeEventGroup', 'whenDurable', 'listEventsByArrival', 'stagePayloads', 'dropStagedPayloads', 'listEvents', 'countEvents', 'lastArrival', 'getEventCount', 'getReportTarget'] as const
export type EventStore = Pick<Store, (typeof EVENT_METHODS)[number]>

export function createEventStore(_db: PgDb, _options: DeploymentStoreOptions): EventStore {
  return notYet(EVENT_METHODS) as unknown as EventStore
}
