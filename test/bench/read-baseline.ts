// The first-page baseline: the least a server can do to answer a page of a deployment's events — plain
// Bun.serve, one prepared SELECT of 100 rows in mission order on the same database file (read-only), the
// rows as JSON.stringify makes them. No auth, no ids made, no envelope but an array.
// Usage: bun test/bench/read-baseline.ts DB_PATH   (GET /<deployment id> answers that deployment's first page)
import { Database } from 'bun:sqlite'

const db = new Database(process.argv[2]!, { readonly: true, strict: true })
const page = db.prepare(`
  SELECT seq, event_type, event_timestamp, job_id, step_id, payload, created_at, arrival FROM events
  WHERE deployment_key = (SELECT event_key FROM deployments WHERE id = $id)
  ORDER BY event_timestamp, seq LIMIT 100`)

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request) {
    const path = new URL(request.url).pathname
    if (path === '/healthz') return new Response('{"ok":true}')
    return new Response(JSON.stringify(page.all({ id: path.slice(1) })), { headers: { 'content-type': 'application/json' } })
  },
})
console.log(`listening ${server.port}`)
