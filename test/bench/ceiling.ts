// The HTTP ceiling (issue: ingestion near the HTTP ceiling): plain Bun.serve that reads and parses the same
// JSON event as the real server and answers 201 with an id of the same shape, storing nothing. No server
// that stores the event can pass it; the bench prints ground-console's single-event rate as a ratio of it.
// A batch (`…/batch`) is parsed and answered with one result per event. Usage: bun test/bench/ceiling.ts
export {}
let n = 0
const id = () => `evt-01kc${(n++).toString(32).padStart(22, '0')}`
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const url = new URL(request.url)
    if (url.pathname === '/healthz') return new Response('{"ok":true}')
    const body = (await request.json()) as { events?: unknown[] }
    if (url.pathname.endsWith('/batch')) {
      const events = body.events ?? []
      return new Response(`{"results":[${events.map(() => `{"id":"${id()}","status":"created"}`).join(',')}],"created":${events.length},"duplicates":0}`, {
        headers: { 'content-type': 'application/json' },
      })
    }
    return new Response(JSON.stringify({ id: id() }), { status: 201, headers: { 'content-type': 'application/json' } })
  },
})
console.log(`listening ${server.port}`)
