// Graceful shutdown of the real process under load (issue 11 part 6, docs/operations.md "Shutdown"):
// SIGTERM while many reporters send events. Every event answered 2xx is stored (checked through the API
// of a server restarted on the same file); no connection whose request was sent whole is reset (each
// gets a response, or — a new connection — is refused); an open stream ends with the reconnect hint; the
// process exits 0 and leaves an empty WAL.
//
// "Reset" is measured against what the server read. A connection the kernel completed but that was still
// in the accept queue — or accepted, with its request not yet read — when the listener closed is reset by
// the kernel (Linux resets an accept queue on close); its request never reached the server, which is
// what a refused connection means to the client. So a reset is allowed only for a request of which the
// server stored nothing, and each such event is checked to be absent after the restart: an agent that
// retries it loses nothing (a retry is recognised, docs/api.md §4).
import { describe, expect, test } from 'bun:test'
import { existsSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer } from './process'

type Outcome = { kind: 'response'; status: number; body: string } | { kind: 'refused' } | { kind: 'broken'; sent: boolean; error: string; job?: string }

/**
 * One request on a connection of its own (`Connection: close`), over a raw socket so that "refused" (the
 * listener was gone) and "reset after the request was sent" are told apart exactly.
 */
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let sent = false
    let data = ''
    const socket = connect(port, '127.0.0.1', () => {
      const head = Object.entries({ ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')
      socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body}`, () => (sent = true))
    })
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => (data += chunk))
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve({ kind: 'refused' })
      else resolve({ kind: 'broken', sent, error: `${error.code ?? error.message}` })
    })
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data)
      if (match) resolve({ kind: 'response', status: Number(match[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) })
      else resolve({ kind: 'broken', sent, error: `closed after ${data.length} bytes` })
    })
    socket.setTimeout(15_000, () => socket.destroy(new Error('timeout')))
  })
}

describe('graceful shutdown', () => {
  test('SIGTERM under load: every acknowledged event stored, no request the server read is reset, the stream told to reconnect, exit 0, WAL empty', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'gc.db')
    try {
      const server = await startServer({ db })
      const op = await setUpOperator(server.url)
      const port = Number(new URL(server.url).port)
      const stream = await fetch(`${server.url}/api/deployments/${op.deploymentId}/events/stream`, { headers: op.asKey })
      expect(stream.status).toBe(200)
      const streamText = stream.text()

      const acknowledged = new Set<string>()
      const broken: Outcome[] = []
      const others: Outcome[] = []
      let refused = 0
      let sigtermAt = -1
      const REPORTERS = 40
      // Each reporter sends one event after another until its connection is refused (or 2000 events).
      const reporters = Array.from({ length: REPORTERS }, async (_, r) => {
        for (let n = 0; n < 2000; n++) {
          const body = JSON.stringify({ type: 'step.progress', timestamp: new Date(Date.UTC(2026, 2, 7, 12) + n * 1000).toISOString(), job_id: `r${r}`, payload: { n } })
          const outcome = await post(port, `/api/deployments/${op.deploymentId}/events`, op.asAgent, body)
          if (outcome.kind === 'refused') {
            refused++
            return
          }
          if (outcome.kind === 'broken') broken.push({ ...outcome, job: `r${r}/${n}` })
          else if (outcome.status === 200 || outcome.status === 201) acknowledged.add((JSON.parse(outcome.body) as { id: string }).id)
          // A 503 while shutting down is an answer too (the agent retries it); anything else is a failure.
          else others.push(outcome)
        }
      })
      // Mid-load: once a few hundred events are in.
      while (acknowledged.size < 300 && broken.length === 0) await Bun.sleep(5)
      sigtermAt = acknowledged.size
      server.proc.kill('SIGTERM')
      const code = await server.proc.exited
      await Promise.all(reporters)

      expect(code).toBe(0)
      // Only connections the server never read from (above); how many is printed, for the report.
      expect(broken.filter((o) => o.kind === 'broken' && !o.error.startsWith('ECONNRESET'))).toEqual([])
      console.log(`shutdown under load: ${acknowledged.size} acknowledged, ${broken.length} connections reset before their request was read, ${others.length} answered 503`)
      expect(others.filter((o) => o.kind !== 'response' || o.status !== 503)).toEqual([])
      expect(refused).toBe(REPORTERS)
      expect(acknowledged.size).toBeGreaterThanOrEqual(sigtermAt)
      // The stream ended (it did not hang until the forced close) with the hint to reconnect.
      const text = await streamText
      expect(text).toEndWith(': server shutting down; reconnect with Last-Event-ID\nretry: 2000\n\n')
      expect(server.stderr()).toContain('"msg":"stopped"')
      // The WAL was checkpointed into the database file and truncated (or removed with the last connection).
      const wal = `${db}-wal`
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0)

      // Restarted on the same file: every acknowledged event is there.
      const again = await startServer({ db })
      try {
        const stored = new Set<string>()
        const storedJobs = new Set<string>()
        for (let offset = 0; ; offset += 500) {
          const page = (await (await fetch(`${again.url}/api/deployments/${op.deploymentId}/events?limit=500&offset=${offset}`, { headers: op.asKey })).json()) as {
            events: Array<{ id: string; job_id: string; payload: { n: number } }>
            total: number
          }
          for (const event of page.events) {
            stored.add(event.id)
            storedJobs.add(`${event.job_id}/${event.payload.n}`)
          }
          if (offset + 500 >= page.total) break
        }
        const missing = [...acknowledged].filter((id) => !stored.has(id))
        expect(missing).toEqual([])
        // A reset connection's event was never read: nothing of it is stored.
        expect(broken.map((o) => (o.kind === 'broken' ? o.job : '')).filter((job) => storedJobs.has(job!))).toEqual([])
      } finally {
        await again.stop()
      }
    } finally {
      dir.remove()
    }
  }, 60_000)

  test('SIGINT (Ctrl-C) is the same clean stop; a second signal while stopping changes nothing', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'gc.db')
    try {
      const server = await startServer({ db })
      await setUpOperator(server.url)
      server.proc.kill('SIGINT')
      server.proc.kill('SIGINT')
      expect(await server.proc.exited).toBe(0)
      expect(server.stderr()).toContain('"msg":"stopped"')
      expect(existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0).toBe(0)
    } finally {
      dir.remove()
    }
  }, 30_000)
})
