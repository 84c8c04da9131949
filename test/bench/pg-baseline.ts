// The benchmark's bare PostgreSQL baseline (test/bench/postgres.ts), the counterpart of
// test/bench/baseline.ts: the least a server can do to take an event into PostgreSQL — plain Bun.serve and
// Bun's built-in SQL client, one INSERT … RETURNING per single-event request (its own commit), and for a
// batch (`…/batch`) one multi-row INSERT of all its events (one statement, one commit). No auth, no
// validation, no deduplication, no per-deployment lock. Its table is created at start in the database the
// URL names (the benchmark gives it a database of its own on the ground-console node's cluster).
// The pool has 16 connections, the same max as ground-console's PostgreSQL pool (the default poolSize of
// src/store/postgres/db/open.ts), with synchronous_commit on as that pool sets it: an answered insert is on
// disk. Usage: bun test/bench/pg-baseline.ts POSTGRES_URL — prints `listening PORT`.
import { SQL } from 'bun'
import { serveBaseline } from './baseline-server'

const url = process.argv[2]
if (!url) throw new Error('usage: bun test/bench/pg-baseline.ts POSTGRES_URL')
const POOL = 16
const sql = new SQL(url, { adapter: 'postgres', max: POOL, connection: { synchronous_commit: 'on', application_name: 'pg-baseline' } })
await sql`CREATE TABLE IF NOT EXISTS events (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, deployment_id text NOT NULL, body text NOT NULL, created_at bigint NOT NULL)`

type Row = { deployment_id: string; body: string; created_at: number }

serveBaseline({
  async single(deployment, request) {
    const body = await request.text()
    const [row] = (await sql`INSERT INTO events (deployment_id, body, created_at) VALUES (${deployment}, ${body}, ${Date.now()}) RETURNING seq`) as Array<{ seq: string | number | bigint }>
    return `evt-${row!.seq}`
  },
  async batch(deployment, events) {
    const now = Date.now()
    const rows: Row[] = events.map((event) => ({ deployment_id: deployment, body: JSON.stringify(event), created_at: now }))
    const ids = (await sql`INSERT INTO events ${sql(rows, 'deployment_id', 'body', 'created_at')} RETURNING seq`) as Array<{ seq: string | number | bigint }>
    return ids.map(({ seq }) => `evt-${seq}`)
  },
})
