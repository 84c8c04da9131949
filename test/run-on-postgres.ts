// The PostgreSQL half of the API suites: the same test files that plain `bun test` runs on SQLite, run
// again with GC_TEST_BACKEND=postgres, so every harness (test/helpers.ts createHarness) opens a fresh
// database on the throwaway test cluster (test/pg-cluster.ts; or on GC_TEST_PG_URL) and drops it at close.
//
//   bun test/run-on-postgres.ts            (npm run test:postgres)  every folder below
//   bun test/run-on-postgres.ts test/api/events.test.ts -t cursor   only those files, bun's options passed on
//
// What runs: the folders whose tests go through the harness, that is through the HTTP API and the Store
// interface, whatever the backend. Inside them, the few tests that check SQLite itself are marked
// `skipIf(onPostgres)` with the reason beside them (its file and WAL, PRAGMAs, hand-written rows in its own
// tables, the WAL flush after a commit, payload staging, its write lock, its migrations); a file that is
// SQLite through and through says so in its header.
//
// What does not, and why:
// - test/db: SQLite's migrations, upgrades from older SQLite files and its query plans (EXPLAIN QUERY PLAN).
// - test/store: the conformance suite already runs both backends under plain `bun test` (sqlite.test.ts,
//   postgres.test.ts).
// - test/server: real `ground-console` processes, whose main.ts opens a SQLite file (--db) and whose
//   checks are on it (integrity_check after a kill -9, backups and restores of the file, pid file beside it).
// - test/http, test/auth, test/ops, test/domain, test/architecture, test/config.test.ts: they build no
//   harness and no store of the backend's (pure functions, the error mapping, alert rules, imports): the
//   backend changes nothing in them, and plain `bun test` runs them.
// - test/bench, test/browser, test/smoke: not `bun test` suites.
// A few files inside the folders below make a SQLite store of their own for a side purpose (the route
// list in test/api/openapi.test.ts, test/identity/legacy-retry.test.ts on an old SQLite file): they run
// unchanged, on SQLite, here too.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

export const POSTGRES_SUITES = ['test/api', 'test/streams', 'test/console', 'test/identity', 'test/fuzz']

const args = process.argv.slice(2)
/** A test file or folder (under test/); anything else is one of bun test's options or its value. */
const isPath = (arg: string) => /^(\.\/)?test\//.test(arg) || /\.tsx?$/.test(arg)
const paths = args.filter(isPath)
const options = args.filter((arg) => !isPath(arg))
const root = join(import.meta.dir, '..')
const bun = process.execPath
const run = spawnSync(bun, ['test', '--timeout', '60000', ...options, ...(paths.length ? paths : POSTGRES_SUITES)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, GC_TEST_BACKEND: 'postgres' },
})
process.exit(run.status ?? 1)
