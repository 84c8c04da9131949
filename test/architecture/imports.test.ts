// The layering, held by reading every source file's imports: the domain imports only the domain (and
// node:crypto for its pure hashes); only a backend folder (src/store/sqlite/, src/store/postgres/, each
// with its drizzle schema and migrations in db/) imports bun:sqlite, Bun's SQL client, drizzle or a
// dialect's schema, and neither backend imports the other. The few places that still reach into a backend
// from outside are listed by name below, so that none is added unnoticed.
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const ROOT = join(import.meta.dir, '../..')
const SRC = join(ROOT, 'src')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(ts|tsx)$/.test(name) ? [path] : []
  })
}

/** Every module a file imports or re-exports, static or dynamic. */
function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  const found = new Set<string>()
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) found.add(match[1]!)
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.add(match[1]!)
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.add(match[1]!)
  return [...found]
}

const files = sources(SRC).map((path) => ({ file: relative(ROOT, path), imports: importsOf(path) }))
const BACKENDS = ['src/store/sqlite/', 'src/store/postgres/']
const backendOf = (file: string) => BACKENDS.find((folder) => file.startsWith(folder)) ?? null
const inBackend = (file: string) => backendOf(file) !== null
const isStorageModule = (spec: string) => spec === 'bun:sqlite' || spec.startsWith('drizzle-orm') || /(^|\/)db\/schema$/.test(spec)
/** Bun's SQL client, imported by name from 'bun' or reached as Bun.SQL / Bun.sql. */
const usesSqlClient = (path: string) => {
  const text = readFileSync(join(ROOT, path), 'utf8')
  return /import\s*(type\s*)?\{[^}]*\bSQL\b[^}]*\}\s*from\s*['"]bun['"]/.test(text) || /\bBun\.(SQL|sql)\b/.test(text)
}
/**
 * Outside the backends, yet reaching into one: the selector (src/store/open.ts, which opens the backend
 * `--db` names), the schema versions `--version` prints, the SQLite file's own commands (backup, restore,
 * the pid file) and the durability setting of the SQLite file.
 */
const KNOWN_REACHES = new Set([
  'src/config.ts → ./store/sqlite/db/open',
  'src/main.ts → ./store/sqlite/db/migrations',
  'src/main.ts → ./store/postgres/db/migrations',
  'src/main.ts → ./store/sqlite/backup',
  'src/store/open.ts → ./sqlite',
  'src/store/open.ts → ./sqlite/db/open',
  'src/store/open.ts → ./sqlite/durable',
  'src/store/open.ts → ./postgres',
])

test('the reading of imports finds them (the test would fail open otherwise)', () => {
  const app = files.find((f) => f.file === 'src/app.ts')!
  expect(app.imports).toContain('elysia')
  expect(app.imports).toContain('./routes/deployments')
  expect(files.length).toBeGreaterThan(100)
})

describe('layers', () => {
  test('the domain imports only the domain (and node:crypto)', () => {
    const offending = files
      .filter((f) => f.file.startsWith('src/domain/'))
      .flatMap((f) => f.imports.filter((spec) => !spec.startsWith('./') && spec !== 'node:crypto').map((spec) => `${f.file} → ${spec}`))
    expect(offending).toEqual([])
  })

  test('only a backend folder imports bun:sqlite, Bun’s SQL client, drizzle or a dialect’s schema', () => {
    const offending = files.filter((f) => !inBackend(f.file)).flatMap((f) => f.imports.filter(isStorageModule).map((spec) => `${f.file} → ${spec}`))
    expect(offending).toEqual([])
    expect(files.filter((f) => !inBackend(f.file) && usesSqlClient(f.file)).map((f) => f.file)).toEqual([])
    // The reading finds the client where it is used (it would fail open otherwise).
    expect(usesSqlClient('src/store/postgres/db/open.ts')).toBe(true)
  })

  test('neither backend imports the other', () => {
    const offending = files.flatMap((f) => {
      const own = backendOf(f.file)
      if (!own) return []
      const other = BACKENDS.find((folder) => folder !== own)!.replace(/^src\/store\//, '')
      return f.imports.filter((spec) => spec.includes(`/${other}`) || spec.startsWith(`../${other}`)).map((spec) => `${f.file} → ${spec}`)
    })
    expect(offending).toEqual([])
  })

  test('nothing else reaches into a backend folder but the places listed', () => {
    const reaches = files
      .filter((f) => !inBackend(f.file))
      .flatMap((f) =>
        f.imports
          .filter((spec) => /(^|\/)store\/(sqlite|postgres)(\/|$)/.test(spec) || (f.file.startsWith('src/store/') && /^\.\/(sqlite|postgres)(\/|$)/.test(spec)))
          .map((spec) => `${f.file} → ${spec}`),
      )
    expect(new Set(reaches)).toEqual(KNOWN_REACHES)
  })
})
