// The benchmark's baseline: the least a server can do to take an event — plain Bun.serve, one prepared
// bun:sqlite insert in one transaction per request, WAL with synchronous=NORMAL. No auth, no validation,
// no deduplication, no durability on power loss. A batch (`…/batch`) is parsed and each event inserted,
// one transaction per request. Usage: bun test/bench/baseline.ts DB_PATH
import { Database } from 'bun:sqlite'
import { serveBaseline } from './baseline-server'

const db = new Database(process.argv[2] ?? ':memory:', { create: true, strict: true })
db.run('PRAGMA journal_mode = WAL')
db.run('PRAGMA synchronous = NORMAL')
db.run('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, deployment_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL)')
const insert = db.prepare('INSERT INTO events (deployment_id, body, created_at) VALUES ($deployment, $body, $now) RETURNING seq')
const store = db.transaction((deployment: string, body: string) => insert.get({ deployment, body, now: Date.now() }) as { seq: number })
const storeBatch = db.transaction((deployment: string, events: unknown[]) => {
  const now = Date.now()
  return events.map((event) => (insert.get({ deployment, body: JSON.stringify(event), now }) as { seq: number }).seq)
})

serveBaseline({
  single: async (deployment, request) => `evt-${store(deployment, await request.text()).seq}`,
  batch: (deployment, events) => storeBatch(deployment, events).map((seq) => `evt-${seq}`),
})
