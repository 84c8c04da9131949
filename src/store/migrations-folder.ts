// Embedded drizzle-kit migrations handed to drizzle's public migrator, which reads a folder: the files are
// written to a private temporary folder (mode 0700), read, and removed again. Backend-agnostic: both
// backends embed their journal and SQL files into the binary (src/store/*/db/migrations.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type JournalEntry = { idx: number; when: number; tag: string; breakpoints: boolean }
export type Journal = { version: string; dialect: string; entries: JournalEntry[] }

/** Checks that every journal entry has its SQL embedded (a migration added to drizzle/ but not to the import list). */
export function checkEmbedded(journal: Journal, sql: Record<string, string>) {
  for (const entry of journal.entries) if (sql[entry.tag] === undefined) throw new Error(`migration ${entry.tag} is in the journal but not embedded`)
}

/** Runs `use` with a folder holding the journal and the SQL files exactly as drizzle-kit wrote them. */
export function withMigrationsFolder<T>(journal: Journal, sql: Record<string, string>, use: (folder: string) => T): T {
  checkEmbedded(journal, sql)
  const folder = mkdtempSync(join(tmpdir(), 'gc-migrations-'))
  const cleanUp = () => rmSync(folder, { recursive: true, force: true })
  try {
    mkdirSync(join(folder, 'meta'), { mode: 0o700 })
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal))
    for (const entry of journal.entries) writeFileSync(join(folder, `${entry.tag}.sql`), sql[entry.tag]!)
    const result = use(folder)
    if (result instanceof Promise) return result.finally(cleanUp) as T
    cleanUp()
    return result
  } catch (error) {
    cleanUp()
    throw error
  }
}
