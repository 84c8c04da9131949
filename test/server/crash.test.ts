// Nothing acknowledged is ever lost: SIGKILL under concurrent load, then a full disk under a running
// server. (A filesystem remounted read-only cannot be staged here: Linux refuses while the database is
// open for writing; test/api/storage-unavailable.test.ts covers a database locked by another process.)
import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer, type Running } from './process'

type Ack = { client: number; n: number; id: string }

const send = (url: string, dep: string, headers: Record<string, string>, client: number, n: number) =>
  fetch(`${url}/api/deployments/${dep}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', job_id: 'crash', payload: { client, n } }),
  })

describe('crash safety', () => {
  test('SIGKILL during 20 concurrent reporters: every acknowledged event survives exactly once; retries add no duplicate', async () => {
    const dir = tempDir()
    const db = join(dir.path, 'gc.db')
    let server: Running | undefined = await startServer({ db })
    try {
      const op = await setUpOperator(server.url)
      const url = server.url
      const acks: Ack[] = []
      const inFlight = new Map<number, number>() // client → the n it sent last and has no answer for
      let stop = false
      const clients = Array.from({ length: 20 }, async (_, client) => {
        for (let n = 0; !stop; n++) {
          inFlight.set(client, n)
          try {
            const reply = await send(url, op.deploymentId, op.asAgent, client, n)
            if (reply.status !== 201) throw new Error(`unexpected ${reply.status}`)
            acks.push({ client, n, id: ((await reply.json()) as { id: string }).id })
          } catch {
            return // the server died under this request: its fate is unknown
          }
        }
      })
      await Bun.sleep(300 + Math.random() * 700)
      await server.kill()
      server = undefined
      stop = true
      await Promise.all(clients)
      expect(acks.length).toBeGreaterThan(20)

      const check = new Database(db)
      expect(check.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
      check.close()

      server = await startServer({ db })
      const stored = await listAll(server.url, op.deploymentId, op.asKey)
      const byId = new Map(stored.map((e) => [e.id, e]))
      for (const ack of acks) expect(byId.get(ack.id)?.payload).toEqual({ client: ack.client, n: ack.n })
      const keys = stored.map((e) => `${e.payload.client}/${e.payload.n}`)
      expect(new Set(keys).size).toBe(keys.length)

      // Each client retries the one report it never got an answer for: stored once, whatever happened to it.
      for (const [client, n] of inFlight) expect([200, 201]).toContain((await send(server.url, op.deploymentId, op.asAgent, client, n)).status)
      const after = await listAll(server.url, op.deploymentId, op.asKey)
      const afterKeys = after.map((e) => `${e.payload.client}/${e.payload.n}`)
      expect(new Set(afterKeys).size).toBe(afterKeys.length)
      expect(after.length).toBe(acks.length + [...inFlight].filter(([c, n]) => !acks.some((a) => a.client === c && a.n === n)).length)
    } finally {
      await server?.kill()
      dir.remove()
    }
  })
})

async function listAll(url: string, dep: string, headers: Record<string, string>) {
  const all: Array<{ id: string; payload: { client: number; n: number } }> = []
  for (let offset = 0; ; offset += 500) {
    const page = (await (await fetch(`${url}/api/deployments/${dep}/events?offset=${offset}&limit=500`, { headers })).json()) as { events: typeof all; total: number }
    all.push(...page.events)
    if (all.length >= page.total) return all
  }
}

// A small tmpfs of our own stands for the disk; mounting needs root, which CI and developers have here.
const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0

describe('storage that cannot be written', () => {
  test.skipIf(!canMount)('disk full: reports answer 503, reads go on, writing recovers when space is freed', async () => {
    const dir = tempDir()
    const mnt = join(dir.path, 'disk')
    mkdirSync(mnt)
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt])
    expect(mounted.stderr.toString()).toBe('')
    expect(mounted.status).toBe(0)
    let server: Running | undefined
    try {
      server = await startServer({ db: join(mnt, 'gc.db') })
      const op = await setUpOperator(server.url)
      const big = (tag: string) =>
        fetch(`${server!.url}/api/deployments/${op.deploymentId}/events/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...op.asAgent },
          body: JSON.stringify({ events: Array.from({ length: 200 }, (_, i) => ({ type: 'step.progress', timestamp: '2026-03-07T12:00:00Z', payload: { tag, i, pad: 'x'.repeat(2000) } })) }),
        })
      expect((await big('before')).status).toBe(200)

      // Disk full: a filler takes every free byte.
      spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=64k'], { stdio: 'ignore' })
      const full = await big('while-full')
      expect(full.status).toBe(503)
      expect(await full.json()).toEqual({ error: expect.stringContaining('storage is unavailable'), code: 'UNAVAILABLE' })
      const read = await fetch(`${server.url}/api/deployments/${op.deploymentId}/events?limit=1`, { headers: op.asKey })
      expect(read.status).toBe(200)
      expect(((await read.json()) as { total: number }).total).toBe(200)
      rmSync(join(mnt, 'filler'))
      expect((await big('after-full')).status).toBe(200)

      const page = (await (await fetch(`${server.url}/api/deployments/${op.deploymentId}`, { headers: op.asKey })).json()) as { event_count: number }
      expect(page.event_count).toBe(400)
    } finally {
      await server?.stop()
      spawnSync('umount', ['-l', mnt])
      dir.remove()
    }
  })
})
