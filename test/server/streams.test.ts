// The live event stream over a real socket (docs/api.md §3.3, docs/streams.md): quiet streams stay open past
// Bun's idle timeout with keep-alives; a client that stops reading is cut off without holding the server;
// and after a kill -9 a client resuming with Last-Event-ID gets every stored event exactly once.
import { describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { SseReader } from '../streams/sse'
import { setUpOperator, startServer, type Running } from './process'

const report = (url: string, dep: string, headers: Record<string, string>, body: unknown, path = '') =>
  fetch(`${url}/api/deployments/${dep}/events${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

async function stream(url: string, dep: string, headers: Record<string, string>) {
  const response = await fetch(`${url}/api/deployments/${dep}/events/stream`, { headers })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream')
  expect(response.headers.get('x-accel-buffering')).toBe('no')
  return new SseReader(response)
}

describe('event stream over a socket', () => {
  test('a quiet stream stays open past 20 s, with a keep-alive comment every 15 s, and still delivers', async () => {
    const dir = tempDir()
    const server = await startServer({ db: join(dir.path, 'gc.db') })
    try {
      const op = await setUpOperator(server.url)
      const s = await stream(server.url, op.deploymentId, op.asKey)
      expect((await s.next())!.event).toBe('status')
      const started = Date.now()
      // Bun closes a socket idle for 10 s unless told otherwise; the first keep-alive comes at 15 s.
      const keepAlive = await s.next(20_000)
      expect(keepAlive).toEqual({ comment: 'keep-alive' })
      expect(Date.now() - started).toBeGreaterThan(14_000)
      await Bun.sleep(Math.max(0, 21_000 - (Date.now() - started)))
      expect((await report(server.url, op.deploymentId, op.asAgent, { type: 'step.progress', timestamp: '2026-03-07T12:00:00Z' })).status).toBe(201)
      const message = await s.next()
      expect(message!.id).toBe('1')
      s.cancel()
    } finally {
      await server.stop()
      dir.remove()
    }
  }, 40_000)

  test('a client that stops reading is cut off; a reading one and the reporters are not held up; the slow one resumes', async () => {
    const dir = tempDir()
    const server = await startServer({ db: join(dir.path, 'gc.db') })
    try {
      const op = await setUpOperator(server.url)
      const { hostname, port } = new URL(server.url)
      // A raw socket that sends its request and then never reads.
      let closed = false
      const slow = connect(Number(port), hostname, () => {
        slow.write(`GET /api/deployments/${op.deploymentId}/events/stream HTTP/1.1\r\nHost: x\r\nX-API-Key: ${op.key}\r\n\r\n`)
        slow.pause()
      })
      slow.on('close', () => (closed = true))
      slow.on('error', () => {})
      const reader = await stream(server.url, op.deploymentId, op.asKey)
      // The reading client reads all along.
      const reading = reader.messages(1 + 15_000, 60_000)
      await Bun.sleep(200)
      // 30 batches of 500 events with 2 KiB payloads: 15 000 events, past the slow one's bound.
      const blob = 'x'.repeat(2048)
      const results = []
      for (let b = 0; b < 30; b++) {
        const events = Array.from({ length: 500 }, (_, i) => ({ type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', payload: { b, i, blob } }))
        results.push((await report(server.url, op.deploymentId, op.asAgent, { events }, '/batch')).status)
      }
      expect(results).toEqual(Array(30).fill(200))
      // The reading client gets all of them, in order.
      const got = await reading
      expect(got.slice(1).map((m) => Number(m.id))).toEqual(Array.from({ length: 15_000 }, (_, i) => i + 1))
      reader.cancel()
      // The slow one: once it reads again, what the socket held drains and then the server has closed it.
      let bytes = 0
      slow.on('data', (chunk) => (bytes += chunk.length))
      slow.resume()
      // Bun's idle timeouts tick every few seconds: the socket is closed within about ten.
      const deadline = Date.now() + 20_000
      while (!closed && Date.now() < deadline) await Bun.sleep(50)
      expect(closed).toBe(true)
      expect(bytes).toBeLessThan(15_000 * 2048)
      // It resumes from where it was, and gets the rest from the database.
      const resumed = await stream(server.url, op.deploymentId, { ...op.asKey, 'last-event-id': '14990' })
      const rest = await resumed.messages(11, 10_000)
      expect(rest.map((m) => m.event ?? m.id)).toEqual(['status', ...Array.from({ length: 10 }, (_, i) => String(14_991 + i))])
      resumed.cancel()
    } finally {
      await server.stop()
      dir.remove()
    }
  }, 90_000)

  test('kill -9 under reporters and batches running backwards in time: resuming by Last-Event-ID gets every stored event exactly once', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'gc.db')
    let server: Running = await startServer({ db })
    try {
      const op = await setUpOperator(server.url)
      const url = server.url
      const received: Array<{ id: number; event: string }> = []
      const s = await stream(url, op.deploymentId, op.asKey)
      const reading = (async () => {
        for (;;) {
          const m = await s.next(30_000).catch(() => null)
          if (m === null) return
          if (m.id !== undefined) received.push({ id: Number(m.id), event: JSON.parse(m.data!).id })
        }
      })()
      const acked = new Set<string>()
      let stop = false
      const clients = Array.from({ length: 8 }, async (_, client) => {
        for (let n = 0; !stop; n++) {
          try {
            // Every other request a batch whose timestamps run backwards.
            const reply =
              n % 2
                ? await report(url, op.deploymentId, op.asAgent, { events: Array.from({ length: 20 }, (_, i) => ({ type: 'step.progress', timestamp: `2026-03-07T12:00:${String(59 - i).padStart(2, '0')}Z`, payload: { client, n, i } })) }, '/batch')
                : await report(url, op.deploymentId, op.asAgent, { type: 'step.progress', timestamp: '2026-03-07T12:00:30Z', payload: { client, n } })
            const body = (await reply.json()) as { id?: string; results?: Array<{ id: string }> }
            for (const id of body.results?.map((r) => r.id) ?? [body.id!]) acked.add(id)
          } catch {
            return
          }
        }
      })
      await Bun.sleep(1500)
      await server.kill()
      stop = true
      await Promise.all(clients)
      await reading
      expect(acked.size).toBeGreaterThan(100)
      server = await startServer({ db })
      const last = received.at(-1)?.id ?? 0
      const total = ((await (await fetch(`${server.url}/api/deployments/${op.deploymentId}/events?limit=1`, { headers: op.asKey })).json()) as { total: number }).total
      const resumed = await stream(server.url, op.deploymentId, { ...op.asKey, 'last-event-id': String(last) })
      const rest = await resumed.messages(1 + total - last, 20_000)
      resumed.cancel()
      const all = [...received, ...rest.slice(1).map((m) => ({ id: Number(m.id), event: JSON.parse(m.data!).id as string }))]
      // No gap, no duplicate: exactly 1..total, and every acknowledged event among them.
      expect(all.map((m) => m.id)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
      const delivered = new Set(all.map((m) => m.event))
      expect(delivered.size).toBe(total)
      expect([...acked].filter((id) => !delivered.has(id))).toEqual([])
    } finally {
      await server.stop()
      dir.remove()
    }
  }, 90_000)
})

test('a shutdown ends open streams (also one whose client stopped reading) and exits promptly', async () => {
  const dir = tempDir()
  const server = await startServer({ db: join(dir.path, 'gc.db') })
  try {
    const op = await setUpOperator(server.url)
    const reader = await stream(server.url, op.deploymentId, op.asKey)
    expect((await reader.next())!.event).toBe('status')
    const { hostname, port } = new URL(server.url)
    const stuck = connect(Number(port), hostname, () => {
      stuck.write(`GET /api/deployments/${op.deploymentId}/events/stream HTTP/1.1\r\nHost: x\r\nX-API-Key: ${op.key}\r\n\r\n`)
      stuck.pause()
    })
    stuck.on('error', () => {})
    await Bun.sleep(200)
    const started = Date.now()
    server.proc.kill('SIGTERM')
    // The reading client's stream ends (it would reconnect with Last-Event-ID).
    expect(await reader.rest(10_000)).toEqual([])
    expect(await server.proc.exited).toBe(0)
    expect(Date.now() - started).toBeLessThan(8000)
    stuck.destroy()
  } finally {
    server.proc.kill('SIGKILL')
    dir.remove()
  }
}, 30_000)
