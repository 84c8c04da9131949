// The version and the database schema (issue 11 part 8, docs/operations.md "Version and schema",
// "Upgrade and downgrade"): `--version` and GET /healthz report both; a database migrated by a newer
// version (a migration this one does not know) is refused at start with a clear message, untouched.
import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import pkg from '../../package.json'
import { MIGRATION_JOURNAL, SCHEMA_MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite/db/migrations'
import { openDatabase } from '../../src/store/sqlite/db/open'
import { PG_MIGRATION_JOURNAL, PG_SCHEMA_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/store/postgres/db/migrations'
import { tempDir } from '../helpers'
import { ROOT, START_FLAGS, startServer } from './process'

const run = (args: string[], cwd: string) => {
  const result = Bun.spawnSync([process.execPath, ...START_FLAGS, join(ROOT, 'src/main.ts'), ...args], { cwd, env: { ...process.env }, stderr: 'pipe', timeout: 20_000 })
  return { code: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() }
}

describe('version and schema', () => {
  test('--version prints the version, then each backend’s schema: the latest migration and how many there are', () => {
    const dir = tempDir()
    try {
      expect(SCHEMA_VERSION).toBe(MIGRATION_JOURNAL.at(-1)!.tag)
      expect(PG_SCHEMA_VERSION).toBe(PG_MIGRATION_JOURNAL.entries.at(-1)!.tag)
      expect(run(['--version'], dir.path)).toMatchObject({
        code: 0,
        out: `${pkg.version}\nschema ${SCHEMA_VERSION} (${SCHEMA_MIGRATIONS} migrations)\npostgres schema ${PG_SCHEMA_VERSION} (${PG_SCHEMA_MIGRATIONS} migrations)\n`,
      })
    } finally {
      dir.remove()
    }
  })

  test('GET /healthz: {"ok":true} with the version and the schema', async () => {
    const dir = tempDir()
    const server = await startServer({ db: join(dir.path, 'gc.db') })
    try {
      const reply = await fetch(`${server.url}/healthz`)
      expect(reply.status).toBe(200)
      expect(await reply.json()).toEqual({ ok: true, version: pkg.version, schema: SCHEMA_VERSION })
    } finally {
      await server.stop()
      dir.remove()
    }
  })

  test('a database with a migration this version does not know (a downgrade) is refused at start, and left as it was', () => {
    const dir = tempDir()
    try {
      const path = join(dir.path, 'gc.db')
      openDatabase(path).$client.close()
      // What a newer version leaves: one more row in drizzle's record, from after this build's last migration.
      const later = MIGRATION_JOURNAL.at(-1)!.when + 86_400_000
      const sqlite = new Database(path)
      sqlite.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-version', ?)", [later])
      sqlite.close()
      const started = run(['serve', '--port', '0', '--db', path], dir.path)
      expect(started.code).toBe(1)
      expect(started.err).toContain(`the database ${path} has 1 migration this version does not know (the latest from ${new Date(later).toISOString()})`)
      expect(started.err).toContain(`this version (schema ${SCHEMA_VERSION}) cannot use safely`)
      expect(started.err).toContain('restore a backup taken before the upgrade')
      expect(started.err).not.toContain('"msg":"listening"')
      // Nothing was changed: no user was created, the record is as the newer version left it.
      const after = new Database(path, { readonly: true })
      expect(after.query('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 })
      expect(after.query('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: SCHEMA_MIGRATIONS + 1 })
      after.close()
      // The admin commands refuse it too (they open the database the same way).
      expect(run(['user', 'create', '--db', path, '--email', 'a@b.test', '--password', 'long enough pw'], dir.path).code).toBe(1)
    } finally {
      dir.remove()
    }
  }, 60_000)
})
