import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { openDatabase } from '../../src/store/sqlite/db/open'
import { withMigrationsFolder } from '../../src/store/migrations-folder'
import { PG_MIGRATION_JOURNAL, PG_MIGRATION_SQL } from '../../src/store/postgres/db/migrations'
import { MIGRATION_JOURNAL, MIGRATION_SQL, SQLITE_JOURNAL } from '../../src/store/sqlite/db/migrations'
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
    // What drizzle's public migrator reads from the folder the embedded files are written to: each migration, whole.
    const read = withMigrationsFolder(SQLITE_JOURNAL, MIGRATION_SQL, (migrationsFolder) => readMigrationFiles({ migrationsFolder }))
    expect(read).toHaveLength(journal.entries.length)
    expect(read.map((m) => m.sql.join('--> statement-breakpoint'))).toEqual(journal.entries.map((e: { tag: string }) => MIGRATION_SQL[e.tag]))
  })

  test('PostgreSQL: the embedded list and journal are exactly drizzle/postgres/', () => {
    const folder = join(DRIZZLE, 'postgres')
    const files = readdirSync(folder).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort()
    expect(Object.keys(PG_MIGRATION_SQL).sort()).toEqual(files)
    for (const tag of files) expect(PG_MIGRATION_SQL[tag]).toBe(readFileSync(join(folder, `${tag}.sql`), 'utf8'))
    expect(PG_MIGRATION_JOURNAL).toEqual(JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')))
  })

  test('the folder handed to the migrator is removed afterwards, also when the migration throws', () => {
    let seen = ''
    expect(() =>
      withMigrationsFolder(SQLITE_JOURNAL, MIGRATION_SQL, (folder) => {
        seen = folder
        throw new Error('a failing migration')
      }),
    ).toThrow('a failing migration')
    expect(existsSync(seen)).toBe(false)
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
