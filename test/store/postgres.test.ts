// The store conformance suite (test/store/conformance/) on PostgreSQL: a new database per test, on a
// throwaway cluster this process starts (test/pg-cluster.ts) or on GC_TEST_PG_URL. Without PostgreSQL on
// the machine the half is skipped, and says so.
import { describe, test } from 'bun:test'
import { createPostgresStore } from '../../src/store/postgres'
import type { Store } from '../../src/store/types'
import { freshPgDatabase, postgresAvailable } from '../pg-cluster'
import type { Backend } from './conformance/backend'
import { CASES } from './conformance/cases'

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const database = await freshPgDatabase()
    const stores: Store[] = []
    const open = async () => {
      const store = createPostgresStore(database.url, { poolSize: 4 })
      await store.ping()
      stores.push(store)
      return store
    }
    const store = await open()
    return {
      store,
      openAnother: open,
      async close() {
        for (const s of stores) await s.close()
        await database.drop()
      },
    }
  },
}

if (postgresAvailable()) for (const register of CASES) register(postgres)
else {
  console.warn('SKIPPED: the PostgreSQL half of the store conformance suite — no PostgreSQL here (install Debian’s postgresql, or set GC_TEST_PG_URL)')
  describe.skip('store conformance on PostgreSQL (no PostgreSQL on this machine)', () => test('skipped', () => {}))
}
