// Backups while the real server ingests, restored into a fresh server: every event acknowledged before the
// backup started is in it (docs/operations.md "Backup and restore"). Then restore's refusals.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { ROOT, setUpOperator, startServer, type Running } from './process'

const dir = tempDir('gc-backup-')
afterAll(() => dir.remove())
const path = (name: string) => join(dir.path, name)

async function cli(...args: string[]) {
  // Not spawnSync: reports keep going from this process while a backup runs.
  const proc = Bun.spawn([process.execPath, join(ROOT, 'src/main.ts'), ...args], { cwd: dir.path, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, out, err }
}

/** Every event id of a deployment on a server, page by page along the cursor. */
async function allEventIds(url: string, headers: Record<string, string>, dep: string): Promise<Set<string>> {
  const ids = new Set<string>()
  let cursor = ''
  for (;;) {
    const page = (await (await fetch(`${url}/api/deployments/${dep}/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`, { headers })).json()) as {
      events: { id: string }[]
      next_cursor?: string
    }
    for (const e of page.events) ids.add(e.id)
    if (!page.next_cursor) return ids
    cursor = page.next_cursor
  }
}

let server: Running
let op: Awaited<ReturnType<typeof setUpOperator>>
const acknowledged: string[] = []
let during = 0
beforeAll(async () => {
  server = await startServer({ db: path('live.db') })
  op = await setUpOperator(server.url)
  const send = async (i: number) => {
    const r = await fetch(`${server.url}/api/deployments/${op.deploymentId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...op.asAgent },
      body: JSON.stringify({ type: 'step.progress', timestamp: `2026-03-07T12:00:00.${String(i).padStart(6, '0')}Z`, payload: { i, blob: i % 7 === 0 ? 'y'.repeat(3000) : '' } }),
    })
    expect(r.status).toBe(201)
    return ((await r.json()) as { id: string }).id
  }
  for (let i = 0; i < 600; i += 50) acknowledged.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => send(i + k)))))

  // Both backups start while reports keep coming, and finish while they still do.
  let stop = false
  const reporting = (async () => {
    for (let i = 10_000; !stop; i++) {
      await send(i)
      during++
    }
  })()
  const [download, viaCli] = await Promise.all([
    fetch(`${server.url}/api/admin/backup`, { method: 'POST', headers: { cookie: op.cookie } }),
    cli('backup', '--db', path('live.db'), '--out', path('cli.db')),
  ])
  expect(download.status).toBe(200)
  expect(download.headers.get('content-type')).toBe('application/vnd.sqlite3')
  expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="ground-console-\d{8}T\d{6}Z\.db"$/)
  expect(Number(download.headers.get('x-schema-version'))).toBeGreaterThan(0)
  writeFileSync(path('api.db'), new Uint8Array(await download.arrayBuffer()))
  expect(statSync(path('api.db')).size).toBeGreaterThan(0)
  expect(viaCli).toMatchObject({ code: 0 })
  expect(viaCli.out).toContain('schema version')
  stop = true
  await reporting
}, 60_000)
afterAll(() => server?.stop())

describe('a backup made while the server ingests', () => {
  for (const name of ['api.db', 'cli.db']) {
    test(`${name} restored into a fresh server holds every event acknowledged before the backup started`, async () => {
      expect(during).toBeGreaterThan(0)
      const restored = await cli('restore', '--from', path(name), '--db', path(`restored-${name}`))
      expect(restored).toMatchObject({ code: 0 })
      // With retention on (nothing here is old enough to prune): the sweeper runs and stops with the server.
      const fresh = await startServer({ db: path(`restored-${name}`), args: ['--retention-days', '3650', '--telemetry-retention', '90d'] })
      try {
        expect(fresh.stderr()).toContain('"retentionDays":3650,"telemetryRetentionHours":2160')
        const ids = await allEventIds(fresh.url, op.asKey, op.deploymentId)
        for (const id of acknowledged) expect(ids.has(id)).toBe(true)
        // Consistent: the deployment's counter is the number of events the snapshot holds.
        const dep = (await (await fetch(`${fresh.url}/api/deployments/${op.deploymentId}`, { headers: op.asKey })).json()) as { event_count: number }
        expect(dep.event_count).toBe(ids.size)
        expect(ids.size).toBeGreaterThanOrEqual(acknowledged.length)
      } finally {
        await fresh.stop()
      }
      expect(fresh.proc.exitCode).toBe(0)
    }, 30_000)
  }

  test('the download is a sound SQLite file; the server left no snapshot file behind', () => {
    const db = new Database(path('api.db'), { readonly: true })
    expect(db.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
    db.close()
    const leftovers = [...new Bun.Glob('live.db.snapshot-*').scanSync(dir.path)]
    expect(leftovers).toEqual([])
  })
})

describe('restore refuses', () => {
  test('an existing target without --force, and one a server has open even with --force', async () => {
    const existing = await cli('restore', '--from', path('cli.db'), '--db', path('restored-cli.db'))
    expect(existing.code).toBe(1)
    expect(existing.err).toContain('pass --force')
    expect(existsSync(path('live.db.pid'))).toBe(true)
    const inUse = await cli('restore', '--from', path('cli.db'), '--db', path('live.db'), '--force')
    expect(inUse.code).toBe(1)
    expect(inUse.err).toContain(`in use by a running server (process ${server.proc.pid}`)
    // A server that stopped removed its pid file: the restored databases' servers did.
    expect(existsSync(path('restored-cli.db.pid'))).toBe(false)
    // With --force and no server, it replaces the file.
    const forced = await cli('restore', '--from', path('api.db'), '--db', path('restored-cli.db'), '--force')
    expect(forced).toMatchObject({ code: 0 })
  })

  test('a file that is not a Ground Console database, or is damaged', async () => {
    writeFileSync(path('junk.db'), 'not a database at all, just text '.repeat(200))
    const junk = await cli('restore', '--from', path('junk.db'), '--db', path('x.db'))
    expect(junk.code).toBe(1)
    expect(junk.err).toContain('not a SQLite database')
    const other = new Database(path('other.db'))
    other.run('CREATE TABLE t (a)')
    other.close()
    const foreign = await cli('restore', '--from', path('other.db'), '--db', path('x.db'))
    expect(foreign.err).toContain('not a Ground Console database')
    // A page of the file overwritten in the middle: SQLite's integrity check finds it.
    copyFileSync(path('cli.db'), path('damaged.db'))
    const file = Bun.file(path('damaged.db'))
    const bytes = new Uint8Array(await file.arrayBuffer())
    const pageSize = new DataView(bytes.buffer).getUint16(16)
    // The header of a b-tree page in the middle of the file: its page type is no longer one SQLite knows.
    const page = Math.floor(bytes.length / pageSize / 2)
    bytes.fill(0x5a, pageSize * page, pageSize * page + 64)
    writeFileSync(path('damaged.db'), bytes)
    const damaged = await cli('restore', '--from', path('damaged.db'), '--db', path('x.db'))
    expect(damaged.code).toBe(1)
    expect(damaged.err).toMatch(/integrity|malformed|not a SQLite/)
    expect(existsSync(path('x.db'))).toBe(false)
  })

  test('a backup made by a newer version (a migration this binary does not know)', async () => {
    copyFileSync(path('cli.db'), path('newer.db'))
    const db = new Database(path('newer.db'))
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', 99999999999999)")
    db.close()
    const newer = await cli('restore', '--from', path('newer.db'), '--db', path('y.db'))
    expect(newer.code).toBe(1)
    expect(newer.err).toContain('made by a newer version of Ground Console')
    expect(existsSync(path('y.db'))).toBe(false)
  })

  test('backup refuses an --out that exists', async () => {
    const again = await cli('backup', '--db', path('live.db'), '--out', path('cli.db'))
    expect(again.code).toBe(1)
    expect(again.err).toContain('exists')
  })
})
