// The HTTP ceiling (issue: ingestion near the HTTP ceiling): plain Bun.serve that reads and parses the same
// JSON event as the real server and answers 201 with an id of the same shape, storing nothing. No server
// that stores the event can pass it; the bench prints ground-console's single-event rate as a ratio of it.
// A batch (`…/batch`) is parsed and answered with one result per event. Usage: bun test/bench/ceiling.ts
import { serveBaseline } from './baseline-server'

let n = 0
const id = () => `evt-01kc${(n++).toString(32).padStart(22, '0')}`
serveBaseline({
  async single(_deployment, request) {
    await request.json()
    return id()
  },
  batch: (_deployment, events) => events.map(id),
})
