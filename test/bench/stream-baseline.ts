// The stream case's baseline: the least a server can do to fan a report out to its streams — plain
// Bun.serve, each report's body written as one SSE frame to every open stream's ReadableStream controller,
// then answered 201. Nothing is stored, checked or made durable. POST …/cancel ends the streams.
// Usage: bun test/bench/stream-baseline.ts
const controllers = new Set<ReadableStreamDefaultController<string>>()
let arrival = 0

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  // Streams may be quiet for longer than Bun's default idle timeout (10 s).
  idleTimeout: 0,
  async fetch(request) {
    const { pathname } = new URL(request.url)
    if (pathname === '/healthz') return new Response('{"ok":true}')
    if (pathname.endsWith('/events/stream')) {
      let mine: ReadableStreamDefaultController<string>
      const body = new ReadableStream<string>({
        start(controller) {
          mine = controller
          controllers.add(controller)
          controller.enqueue('event: status\ndata: {"status":"pending"}\n\n')
        },
        cancel: () => void controllers.delete(mine),
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
    }
    if (pathname.endsWith('/cancel')) {
      for (const controller of controllers) {
        controller.enqueue('event: end\ndata: {"status":"cancelled"}\n\n')
        controller.close()
      }
      controllers.clear()
      return new Response('{"status":"cancelled"}')
    }
    const frame = `id: ${++arrival}\ndata: ${await request.text()}\n\n`
    for (const controller of controllers) controller.enqueue(frame)
    return new Response(`{"id":"evt-${arrival}"}`, { status: 201, headers: { 'content-type': 'application/json' } })
  },
})
console.log(`listening ${server.port}`)
