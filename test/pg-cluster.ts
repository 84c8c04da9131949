// A throwaway PostgreSQL cluster for the tests (docs/postgres.md "Tests"): initdb in a temporary folder,
// started on 127.0.0.1 on a free port, stopped and removed when the test process exits. As root (CI),
// PostgreSQL refuses to run, so the cluster belongs to the `postgres` user and its commands go through
// `runuser`. GC_TEST_PG_URL points the tests at a server of your own instead. Each test gets a database
// of its own, copied from one migrated template (CREATE DATABASE … TEMPLATE), so tests never share rows.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { SQL } from 'bun'
import { openPostgres } from '../src/store/postgres/db/open'

const readLog = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Where the server binaries are: PATH, or Debian's versioned folder. Null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  const onPath = Bun.which('initdb')
  if (onPath && Bun.which('pg_ctl')) return join(onPath, '..')
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions.length ? join(root, versions[0]!, 'bin') : null
}

export type Cluster = {
  url: (database: string) => string
  admin: SQL
  /** Stops the server (fast shutdown: connections are closed), keeping its data. */
  pause(): void
  /** Starts it again on the same port and data. */
  resume(): void
  stop(): void
}
let cluster: Promise<Cluster> | null = null
let template: Promise<string> | null = null
let counter = 0

/** Whether the PostgreSQL half of the suites can run here (a server given, or binaries to start one). */
export const postgresAvailable = () => Boolean(process.env.GC_TEST_PG_URL) || findPostgresBin() !== null

function start(): Promise<Cluster> {
  const given = process.env.GC_TEST_PG_URL
  if (given) {
    const base = new URL(given)
    const url = (database: string) => Object.assign(new URL(base), { pathname: `/${database}` }).toString()
    const cannot = () => {
      throw new Error('a server given by GC_TEST_PG_URL is not this test’s to stop')
    }
    return Promise.resolve({ url, admin: new SQL(given, { max: 2 }), stop() {}, pause: cannot, resume: cannot })
  }
  return Promise.resolve(startPgCluster())
}

/**
 * A cluster of its own (for tests that stop and start the server), stopped once this process is gone.
 * `durable`: fsync on, as a real server runs (the benchmark); otherwise off, for speed.
 */
export function startPgCluster({ durable = false }: { durable?: boolean } = {}): Cluster {
  const bin = findPostgresBin()
  if (!bin) throw new Error('PostgreSQL is not installed (no initdb): install Debian\'s postgresql, or set GC_TEST_PG_URL')
  const dir = mkdtempSync(join(tmpdir(), 'gc-pg-'))
  const asRoot = userInfo().uid === 0
  // The server that `pg_ctl start` leaves running would hold a captured stdout open for ever: its output
  // goes to the log file, and pg_ctl's own is not captured.
  const run = (cmd: string, args: string[], capture = true) => {
    const full = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, cmd), ...args] : [join(bin, cmd), ...args]
    const result = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8', stdio: capture ? 'pipe' : 'ignore' })
    if (result.status !== 0) throw new Error(`${cmd} failed (${result.status}): ${capture ? result.stderr || result.stdout : 'see its log'}`)
  }
  if (asRoot) {
    chmodSync(dir, 0o700)
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    chownSync(dir, Number(id.stdout), Number(gid.stdout))
  }
  run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
  let port = 0
  // fsync off: a test cluster need not survive a power cut, and the suites run several times faster.
  const safety = durable ? '-c fsync=on -c synchronous_commit=on' : '-c fsync=off -c full_page_writes=off'
  const options = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 ${safety} -c max_connections=400 -c shared_buffers=${durable ? '256MB' : '64MB'}`
  const pgStart = () => run('pg_ctl', ['-D', join(dir, 'data'), '-o', options(), '-l', join(dir, 'log'), '-w', 'start'], false)
  // A random port may be taken (another test process's cluster, anything else): a few tries, each on another.
  for (let attempt = 1; ; attempt++) {
    port = 20000 + Math.floor(Math.random() * 20000)
    try {
      pgStart()
      break
    } catch (error) {
      if (attempt >= 4) throw new Error(`${(error as Error).message}\n${readLog(join(dir, 'log'))}`)
    }
  }
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`
  const stop = () => {
    try {
      run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], false)
    } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
  // `bun test` does not emit 'exit' to the tests' code, and a test process may be killed: a detached
  // watcher stops the cluster and removes its folder once this process is gone, however it ended.
  const pgCtl = (asRoot ? `runuser -u postgres -- ` : '') + `'${join(bin, 'pg_ctl')}' -D '${join(dir, 'data')}' -m immediate -w stop`
  const watcher = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; ${pgCtl} >/dev/null 2>&1; rm -rf '${dir}'`], { detached: true, stdio: 'ignore' })
  watcher.unref()
  return {
    url,
    admin: new SQL(url('postgres'), { max: 2 }),
    stop,
    pause: () => run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'], false),
    resume: pgStart,
  }
}

/** The shared cluster, started on first use. */
export const pgCluster = () => (cluster ??= start())

/**
 * A new, empty, migrated database: its URL, and a function that drops it (closing the store first).
 * Fast: a copy of a template migrated once per test process.
 */
export async function freshPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const c = await pgCluster()
  const tpl = await (template ??= (async () => {
    const name = `gc_template_${process.pid}`
    await c.admin.unsafe(`DROP DATABASE IF EXISTS ${name}`)
    await c.admin.unsafe(`CREATE DATABASE ${name}`)
    const db = await openPostgres(c.url(name), { poolSize: 2 })
    await db.$client.close()
    return name
  })())
  const name = `gc_t_${process.pid}_${++counter}`
  await c.admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${tpl}`)
  return {
    url: c.url(name),
    async drop() {
      await c.admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}
