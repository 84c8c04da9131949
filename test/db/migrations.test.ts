import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { embeddedMigrations, openDatabase } from '../../src/store/sqlite/db/open'
import { MIGRATION_JOURNAL, MIGRATION_SQL } from '../../src/store/sqlite/db/migrations'
import { tempDir } from '../helpers'

const DRIZZLE = join(import.meta.dir, '../../drizzle')

describe('embedded migrations', () => {
  test('the embedded list is exactly the SQL files in drizzle/, byte for byte', () => {
    const files = readdirSync(DRIZZLE).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort()
    expect(Object.keys(MIGRATION_SQL).sort()).toEqual(files)
    for (const tag of files) expect(MIGRATION_SQL[tag]).toBe(readFileSync(join(DRIZZLE, `${tag}.sql`), 'utf8'))
  })

  test('the embedded journal is drizzle-kit’s journal', () => {
    const journal = JSON.parse(readFileSync(join(DRIZZLE, 'meta/_journal.json'), 'utf8'))
    expect(MIGRATION_JOURNAL).toEqual(journal.entries)
    expect(embeddedMigrations()).toHaveLength(journal.entries.length)
  })
})

describe('openDatabase', () => {
  test('creates the data directory and a database file only its owner can read', () => {
    const dir = tempDir()
    try {
      const path = join(dir.path, 'nested/data/gc.db')
      const db = openDatabase(path)
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(statSync(join(dir.path, 'nested/data')).isDirectory()).toBe(true)
      db.$client.close()
    } finally {
      dir.remove()
    }
  })

  test('sets WAL, FULL durability by default, a busy timeout and foreign keys', () => {
    const dir = tempDir()
    try {
      const db = openDatabase(join(dir.path, 'gc.db'))
      const pragma = (name: string) => Object.values(db.$client.query(`PRAGMA ${name}`).get() as object)[0]
      expect(pragma('journal_mode')).toBe('wal')
      expect(pragma('synchronous')).toBe(2) // FULL
      expect(pragma('busy_timeout')).toBe(5000)
      expect(pragma('foreign_keys')).toBe(1)
      db.$client.close()
      const normal = openDatabase(join(dir.path, 'gc.db'), { durability: 'normal' })
      expect(Object.values(normal.$client.query('PRAGMA synchronous').get() as object)[0]).toBe(1)
      normal.$client.close()
    } finally {
      dir.remove()
    }
  })

  test('migrating twice is a no-op and records each migration once', () => {
    const dir = tempDir()
    try {
      const path = join(dir.path, 'gc.db')
      openDatabase(path).$client.close()
      const db = openDatabase(path)
      const rows = db.$client.query('SELECT hash FROM __drizzle_migrations').all()
      expect(rows).toHaveLength(MIGRATION_JOURNAL.length)
      db.$client.close()
    } finally {
      dir.remove()
    }
  })
})
