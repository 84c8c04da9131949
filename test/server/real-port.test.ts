// The server as a process on a real port and a real file: concurrency, restarts, and what agents send.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer, type Running } from './process'

const dir = tempDir()
const db = join(dir.path, 'gc.db')
let server: Running
beforeAll(async () => {
  server = await startServer({ db })
})
afterAll(async () => {
  await server?.stop()
  dir.remove()
})

const report = (url: string, deploymentId: string, headers: Record<string, string>, i: number) =>
  fetch(`${url}/api/deployments/${deploymentId}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: { i } }),
  })

describe('over a real port', () => {
  test('200 concurrent reports to one deployment are each stored exactly once', async () => {
    const op = await setUpOperator(server.url)
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => report(server.url, op.deploymentId, op.asAgent, i)))
    expect(replies.map((r) => r.status)).toEqual(Array(200).fill(201))
    const ids = await Promise.all(replies.map(async (r) => ((await r.json()) as { id: string }).id))
    expect(new Set(ids).size).toBe(200)
    const seen: number[] = []
    for (let offset = 0; offset < 200; offset += 100) {
      const page = (await (await fetch(`${server.url}/api/deployments/${op.deploymentId}/events?offset=${offset}&limit=100`, { headers: op.asKey })).json()) as {
        events: Array<{ payload: { i: number } }>
        total: number
      }
      expect(page.total).toBe(200)
      seen.push(...page.events.map((e) => e.payload.i))
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  test('repeated slashes in the path are collapsed (agents given a trailing-slash --api-url)', async () => {
    expect((await fetch(`${server.url}//healthz`)).status).toBe(200)
    const op = await setUpOperator(server.url)
    const reply = await fetch(`${server.url}//api//deployments/${op.deploymentId}/events?limit=5`, { headers: op.asKey })
    expect(reply.status).toBe(200)
    expect(((await reply.json()) as { limit: number }).limit).toBe(5)
  })

  test('a body over the limit sent without Content-Length (chunked) is a JSON 413, not a reset', async () => {
    const op = await setUpOperator(server.url)
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const reply = await fetch(`${server.url}/api/deployments/${op.deploymentId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...op.asAgent },
      body,
    })
    expect(reply.status).toBe(413)
    expect(((await reply.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE')
  })

  test('bodies of 5 MiB and of 70 MiB with Content-Length get a JSON 413 that the client receives whole', async () => {
    const op = await setUpOperator(server.url)
    for (const [path, size, limit] of [
      [`/api/deployments/${op.deploymentId}/events`, 5, 1],
      [`/api/deployments/${op.deploymentId}/events/batch`, 70, 16],
    ] as const) {
      const reply = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...op.asAgent }, body: 'x'.repeat(size * 1024 * 1024) })
      expect(reply.status).toBe(413)
      expect(await reply.json()).toEqual({ error: `request body is larger than ${limit} MiB`, code: 'PAYLOAD_TOO_LARGE' })
    }
  })

  test('data survives a restart on the same file', async () => {
    const op = await setUpOperator(server.url)
    for (let i = 0; i < 5; i++) expect((await report(server.url, op.deploymentId, op.asAgent, i)).status).toBe(201)
    await server.stop()
    server = await startServer({ db })
    expect(server.stdout()).not.toContain('created the admin') // not a first start any more
    const page = (await (await fetch(`${server.url}/api/deployments/${op.deploymentId}/events`, { headers: op.asKey })).json()) as { total: number }
    expect(page.total).toBe(5)
    // The retry of an event stored before the restart is still recognised.
    expect((await report(server.url, op.deploymentId, op.asAgent, 0)).status).toBe(200)
  })
})
