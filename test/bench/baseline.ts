// The benchmark's baseline: the least a server can do to take an event — plain Bun.serve, one prepared
// bun:sqlite insert in one transaction per request, WAL with synchronous=NORMAL. No auth, no validation,
// no deduplication, no durability on power loss. A batch (`…/batch`) is parsed and each event inserted,
// one transaction per request. Usage: bun test/bench/baseline.ts DB_PATH
import { Database } from 'bun:sqlite'

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

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const url = new URL(request.url)
    if (url.pathname === '/healthz') return new Response('{"ok":true}')
    const deployment = url.pathname.split('/')[3] ?? ''
    if (url.pathname.endsWith('/batch')) {
      const { events } = (await request.json()) as { events: unknown[] }
      const ids = storeBatch(deployment, events)
      return new Response(`{"results":[${ids.map((seq) => `{"id":"evt-${seq}","status":"created"}`).join(',')}],"created":${ids.length},"duplicates":0}`, {
        headers: { 'content-type': 'application/json' },
      })
    }
    const { seq } = store(deployment, await request.text())
    return new Response(`{"id":"evt-${seq}"}`, { status: 201, headers: { 'content-type': 'application/json' } })
  },
})
console.log(`listening ${server.port}`)
