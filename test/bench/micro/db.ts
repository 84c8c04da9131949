// The SQLite side of the micro-benchmarks (test/bench/micro/): a real database file in a temporary
// directory, opened as the server opens it (src/store/sqlite/db/open.ts: WAL, the migrated schema), with
// one deployment whose events the benchmarks write and read.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/store/sqlite/db/open'
import { EVENT } from './harness'

export const DEPLOYMENT_ID = 'dep-bench'
export const DEPLOYMENT_KEY = 1

export function openBenchDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'gc-micro-'))
  // synchronous = NORMAL: the commit's fsync would only add the disk's noise to what is compared here.
  const db = openDatabase(join(dir, 'micro.db'), { durability: 'normal' })
  const sqlite = db.$client
  // The deployment without its owner, mission and plan: only its id and event_key matter to these reads.
  sqlite.run('PRAGMA foreign_keys = OFF')
  sqlite.run(
    `INSERT INTO deployments (id, user_id, mission_id, plan_id, satellite_id, status, mode, speed_multiplier, created_at, event_key)
     VALUES ('${DEPLOYMENT_ID}', 'usr-bench', 'mis-bench', 'plan-bench', 'sat-1', 'running', 'live', 1, 0, ${DEPLOYMENT_KEY})`,
  )
  sqlite.run('PRAGMA foreign_keys = ON')
  const secret = sqlite.query("SELECT value FROM meta WHERE key = 'event_id_secret'").values()[0]![0] as number
  return { db, sqlite, secret, close: () => (sqlite.close(), rmSync(dir, { recursive: true, force: true })) }
}

/** The columns src/store/sqlite/events.ts inserts, in its order. */
export const COLUMNS = 'deployment_key, event_timestamp, seq, event_type, job_id, step_id, payload, idempotency_key, created_at, digest, payload_ref, arrival'
export const ROW_WIDTH = 12
export const PLACEHOLDERS = `(${Array(ROW_WIDTH).fill('?').join(', ')})`

export type Row = [number, number, number, string, string | null, string | null, string | null, string | null, number, number | null, number | null, number]
const base = Date.UTC(2026, 2, 7, 12) * 1000
const payloads = Array.from({ length: 64 }, (_, n) => JSON.stringify({ ...EVENT.payload, n }))
/** The n-th event of the deployment as a row: the test event, 10 ms after the one before. */
export const rowOf = (n: number): Row => [
  DEPLOYMENT_KEY,
  base + n * 10_000,
  n,
  EVENT.type,
  EVENT.job_id,
  EVENT.step_id,
  payloads[n & 63]!,
  null,
  base + n * 10_000 + 2_345,
  (n * 2_654_435_761) % 2 ** 52,
  null,
  n,
]
