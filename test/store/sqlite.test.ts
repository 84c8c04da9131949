// The store conformance suite (test/store/conformance/) on SQLite: a new file per test.
import { join } from 'node:path'
import { createSqliteStore } from '../../src/store/sqlite'
import { tempDir } from '../helpers'
import type { Backend } from './conformance/backend'
import { CASES } from './conformance/cases'

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = tempDir('gc-conformance-')
    const path = join(dir.path, 'gc.db')
    const store = createSqliteStore(path)
    const others: Array<{ close(): Promise<void> }> = []
    return {
      store,
      async openAnother() {
        const other = createSqliteStore(path)
        others.push(other)
        return other
      },
      async close() {
        for (const other of others) await other.close()
        await store.close()
        dir.remove()
      },
    }
  },
}

for (const register of CASES) register(sqlite)
