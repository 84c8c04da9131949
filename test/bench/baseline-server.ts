// What the benchmark's bare servers share (test/bench/baseline.ts, ceiling.ts, pg-baseline.ts): plain
// Bun.serve on 127.0.0.1, `/healthz`, `…/batch` parsed as {"events": [...]} and answered like
// ground-console's batch, anything else a single report answered 201 with its id; then `listening PORT`
// on stdout for the bench to read. Each server brings only how it takes an event.

export type BaselineStore = {
  /** A single report: its id. The request is the store's to read (as text, or parsed). */
  single(deployment: string, request: Request): string | Promise<string>
  /** A batch's events: their ids, in order. */
  batch(deployment: string, events: unknown[]): string[] | Promise<string[]>
}

const JSON_HEADERS = { 'content-type': 'application/json' }

export function serveBaseline(store: BaselineStore) {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname
      if (path === '/healthz') return new Response('{"ok":true}')
      const deployment = path.split('/')[3] ?? ''
      if (path.endsWith('/batch')) {
        const { events = [] } = (await request.json()) as { events?: unknown[] }
        const ids = await store.batch(deployment, events)
        return new Response(`{"results":[${ids.map((id) => `{"id":"${id}","status":"created"}`).join(',')}],"created":${ids.length},"duplicates":0}`, { headers: JSON_HEADERS })
      }
      return new Response(`{"id":"${await store.single(deployment, request)}"}`, { status: 201, headers: JSON_HEADERS })
    },
  })
  console.log(`listening ${server.port}`)
  return server
}
