// The backend-agnostic store conformance suite (docs/postgres.md "Tests"): every backend must pass the
// same cases. A case file exports a function that registers its tests given `backend`, which opens a
// fresh, empty store of that backend per test; the two runner files (sqlite.test.ts, postgres.test.ts
// beside this folder) call every case file with their backend.
import type { Store } from '../../../src/store/types'

export type OpenedStore = {
  store: Store
  /** Closes the store and removes its database. */
  close(): Promise<void>
  /**
   * A second store on the same database, as another node (or the same node after a restart) would open
   * it: PostgreSQL opens a second pool with its own node id; SQLite opens the same file again.
   */
  openAnother(): Promise<Store>
}

export type Backend = {
  name: 'sqlite' | 'postgres'
  open(): Promise<OpenedStore>
}
