// The row walker (src/store/sqlite/row-walker.ts): deep offsets and counts walked on a thread of its own,
// with its own read-only connection. It sees what the writer committed before it was asked, answers in
// the order asked, carries SQLite's error codes back (a 503 stays a 503), and refuses once stopped.
import { Database } from 'bun:sqlite'
import { afterEach, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startRowWalker, type RowWalker } from '../../src/store/sqlite/row-walker'
import { isSqliteUnavailable } from '../../src/store/sqlite'
import { tempDir } from '../helpers'

const dir = tempDir('gc-walker-')
let walker: RowWalker | null = null
afterEach(() => walker?.stop())

function writer() {
  const db = new Database(join(dir.path, `w-${Math.random()}.db`), { strict: true })
  db.run('PRAGMA journal_mode = WAL')
  db.run('CREATE TABLE t (k INTEGER PRIMARY KEY, kind TEXT)')
  return db
}
const SQL = { keyAfter: 'SELECT k, k * 10 FROM t WHERE k > $from ORDER BY k LIMIT 1 OFFSET $skip', count: 'SELECT count(*) FROM t WHERE kind = $kind' }

test('answers from the file as committed before it was asked, in the order asked', async () => {
  const db = writer()
  walker = startRowWalker(db.filename, SQL)
  const insert = db.prepare('INSERT INTO t (k, kind) VALUES (?, ?)')
  db.transaction(() => {
    for (let k = 1; k <= 50_000; k++) insert.run(k, k % 7 === 0 ? 'rare' : 'common')
  })()
  const answers = await Promise.all([walker.keyAfter({ from: 0, skip: 39_999 }), walker.count({ kind: 'rare' }), walker.keyAfter({ from: 49_999, skip: 1 })])
  expect(answers).toEqual([[40_000, 400_000], Math.floor(50_000 / 7), null])
  insert.run(50_001, 'rare')
  expect(await walker.count({ kind: 'rare' })).toBe(Math.floor(50_000 / 7) + 1)
})

test('a failing statement comes back with its SQLite code and the walker goes on; a stopped walker refuses', async () => {
  const db = writer()
  walker = startRowWalker(db.filename, { ...SQL, count: 'SELECT abs(-9223372036854775808)' })
  const error = await walker.count({}).catch((e) => e)
  expect(error).toBeInstanceOf(Error)
  expect(String(error.message)).toContain('integer overflow')
  expect(error.code).toStartWith('SQLITE_')
  expect(walker.usable).toBe(true)
  expect(await walker.keyAfter({ from: 0, skip: 0 })).toBeNull()
  walker.stop()
  expect(walker.usable).toBe(false)
  const refused = await walker.keyAfter({ from: 0, skip: 0 }).catch((e) => e)
  expect(refused.code).toBe('SQLITE_MISUSE')
  walker = null
})

test('a walker that cannot open its file is unusable (the caller walks in process), and says so to a caller waiting on it', async () => {
  walker = startRowWalker(join(dir.path, 'missing', 'no.db'), SQL)
  const error = await walker.count({ kind: 'x' }).catch((e) => e)
  expect(error).toBeInstanceOf(Error)
  expect(walker.usable).toBe(false)
})

test('a locked file is a storage error the server answers 503 to', () => {
  expect(isSqliteUnavailable(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }))).toBe(true)
})

test.skipIf(process.platform !== 'linux')('its thread runs at nice 10, below the event loop’s; the process keeps its own', async () => {
  const db = writer()
  walker = startRowWalker(db.filename, SQL)
  await walker.count({ kind: 'x' })
  const niceOf = (task: string) => Number(readFileSync(`/proc/${process.pid}/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])
  const nices = readdirSync(`/proc/${process.pid}/task`).map(niceOf)
  expect(niceOf(String(process.pid))).toBe(0)
  expect(nices).toContain(10)
})
