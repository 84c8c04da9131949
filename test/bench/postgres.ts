// The PostgreSQL rows of `npm run bench` (docs/postgres.md): the same binary on a throwaway PostgreSQL
// cluster of this machine (fsync on, synchronous_commit on: an answered write is on disk, as the SQLite
// rows' synchronous=FULL), with one node and with two nodes on one database; then the reads on a
// deployment of a million events. The one-node single-event and batch rows are measured with wrk
// (test/bench/wrk.ts; autocannon only when wrk is missing, which it says) taking turns, as
// test/bench/ingest.ts does, with the bare Bun.sql insert server (test/bench/pg-baseline.ts, a database of its
// own on the same cluster), and printed as a ratio of it. Each figure is also printed beside the SQLite
// figure of the same run as a ratio. On this 2-core machine two nodes share the cores with PostgreSQL and
// the load generator, so the two-node rows (autocannon) measure the cost of running several nodes, not a
// speed-up. It prints; it asserts nothing.
import autocannon from 'autocannon'
import { join } from 'node:path'
import { startPgCluster } from '../pg-cluster'
import { mean, rssMb, summary, takeTurns, type Measure, type Run } from './ingest'
import { wrkAvailable } from './wrk'

export type SqliteFigures = { single?: number; batch?: number; firstPageP99?: number; cursorPageP99?: number }

type Started = { proc: { pid: number; kill(signal?: string | number): void; exited: Promise<number> }; url: string; ms: number }

export type PostgresDeps = {
  binary: string
  env: Record<string, string>
  admin: { email: string; password: string }
  seconds: number
  connections: number
  bigEvents: number
  start(command: string[], pattern: RegExp, env?: Record<string, string>): Promise<Started>
  record(what: string, figure: string, note?: string): void
  sqlite: SqliteFigures
  uniqueEvent(): unknown
  cursorTo(url: string, deployment: string, asKey: Record<string, string>, n: number): Promise<string>
}

const ratio = (ours: number, sqlite: number | undefined) => (sqlite ? `${(ours / sqlite).toFixed(2)}× SQLite's` : 'no SQLite figure this run')

async function rate(urls: string[], headers: Record<string, string>, body: () => string, seconds: number, connections: number) {
  // One load generator per node, at once, each with its share of the connections.
  const results = await Promise.all(
    urls.map((url) => autocannon({ url, method: 'POST', headers, connections: Math.ceil(connections / urls.length), duration: seconds, requests: [{ setupRequest: (r) => ({ ...r, body: body() }) }] })),
  )
  const ok = results.reduce((sum, r) => sum + r['2xx'], 0)
  const bad = results.reduce((sum, r) => sum + r.non2xx + r.errors, 0)
  return { perSecond: ok / seconds, p50: Math.max(...results.map((r) => r.latency.p50)), p99: Math.max(...results.map((r) => r.latency.p99)), bad }
}

/** The fallback when wrk is missing: autocannon, each request a distinct event (or `batch` of them). */
const autocannonMeasure =
  (event: () => unknown): Measure =>
  async (url, headers, seconds, connections, batch, pid) => {
    let peak = 0
    const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200) : undefined
    const body = batch ? () => JSON.stringify({ events: Array.from({ length: batch }, event) }) : () => JSON.stringify(event())
    try {
      const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, connections, duration: seconds, requests: [{ setupRequest: (q) => ({ ...q, body: body() }) }] })
      if (r.non2xx || r.errors) console.log(`    (non-2xx ${r.non2xx}, errors ${r.errors})`)
      return { perSecond: r['2xx'] / (r.duration || seconds), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, peakRss: peak }
    } finally {
      clearInterval(sampler)
    }
  }

/** Non-2xx answers and socket errors over some runs, as a note (empty when none). */
const failures = (list: Run[]) => {
  const bad = list.reduce((sum, r) => sum + r.non2xx + r.errors, 0)
  return bad ? `; ${bad} non-2xx or errors` : ''
}

export async function postgresRows(deps: PostgresDeps) {
  const { record, seconds, connections } = deps
  console.log('PostgreSQL (a cluster of this machine, fsync on, synchronous_commit on)')
  const cluster = startPgCluster({ durable: true })
  const nodes: Started[] = []
  try {
    await cluster.admin.unsafe('CREATE DATABASE gc_bench')
    const db = cluster.url('gc_bench')
    const listening = /"msg":"listening","url":"([^"]+)"/
    const first = await deps.start([deps.binary, '--port', '0', '--db', db], listening, deps.env)
    nodes.push(first)
    record('PostgreSQL: start-up to first 200, new database', `${first.ms.toFixed(0)} ms`, 'migrations and the first admin')
    const api = async (path: string, body: unknown, headers: Record<string, string>) => {
      const reply = await fetch(`${first.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
      return reply
    }
    const cookie = (await api('/api/auth/login', deps.admin, {})).headers.get('set-cookie')!.split(';')[0]!
    const key = ((await (await api('/api/keys', { name: 'bench' }, { cookie })).json()) as { key: string }).key
    const asKey = { 'x-api-key': key }
    const mission = ((await (await api('/api/missions', { name: 'bench' }, asKey)).json()) as { id: string }).id
    const plan = ((await (await api('/api/plans', { mission_id: mission, label: 'b', satellite_id: 'bench', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)).json()) as { id: string }).id
    const deployment = async () => ((await (await api('/api/deployments', { plan_id: plan, mode: 'live' }, asKey)).json()) as { id: string }).id
    const agentHeaders = { ...asKey, 'x-agent-id': 'sat-bench', 'content-type': 'application/json' }
    const single = () => JSON.stringify(deps.uniqueEvent())
    const batch = () => JSON.stringify({ events: Array.from({ length: 100 }, deps.uniqueEvent) })

    // `shared`: every node's load goes to one deployment (its row lock serialises them: the worst case);
    // otherwise each node's load goes to a deployment of its own, as many agents on many deployments do.
    const ingest = async (label: string, urls: string[], shared = true) => {
      const one = await deployment()
      const targets = shared ? urls.map(() => one) : await Promise.all(urls.map(() => deployment()))
      const singleUrls = urls.map((u, i) => `${u}/api/deployments/${targets[i]}/events`)
      await rate(singleUrls, agentHeaders, single, 3, connections)
      const s = await rate(singleUrls, agentHeaders, single, seconds, connections)
      record(`PostgreSQL, ${label}: single-event reports`, `${s.perSecond.toFixed(0)} reports/s`, `p50 ${s.p50} ms, p99 ${s.p99} ms; ${ratio(s.perSecond, deps.sqlite.single)}${s.bad ? `; ${s.bad} non-2xx` : ''}`)
      const batchOne = await deployment()
      const batchDeps = shared ? urls.map(() => batchOne) : await Promise.all(urls.map(() => deployment()))
      const batchUrls = urls.map((u, i) => `${u}/api/deployments/${batchDeps[i]}/events/batch`)
      await rate(batchUrls, agentHeaders, batch, 3, connections)
      const b = await rate(batchUrls, agentHeaders, batch, seconds, connections)
      record(`PostgreSQL, ${label}: batches of 100`, `${(b.perSecond * 100).toFixed(0)} events/s`, `p50 ${b.p50} ms, p99 ${b.p99} ms; ${ratio(b.perSecond * 100, deps.sqlite.batch)}${b.bad ? `; ${b.bad} non-2xx` : ''}`)
    }
    // One node against the bare Bun.sql insert server, taking turns (test/bench/ingest.ts's takeTurns).
    const oneNode = async () => {
      const by = wrkAvailable() ? undefined : autocannonMeasure(deps.uniqueEvent)
      const tool = by ? 'autocannon: wrk is missing here (install Debian’s wrk)' : 'wrk'
      await cluster.admin.unsafe('CREATE DATABASE gc_bare')
      const bare = await deps.start([process.execPath, join(import.meta.dir, 'pg-baseline.ts'), cluster.url('gc_bare')], /listening (\d+)/)
      const plain = { 'content-type': 'application/json' }
      try {
        console.log(`PostgreSQL, one node, and the bare Bun.sql insert server (${tool}, ${connections} connections; after a 3 s warm-up each, they take turns twice; the mean counts)`)
        const single = await takeTurns(
          {
            ours: { url: `${first.url}/api/deployments/${await deployment()}/events`, headers: agentHeaders, pid: first.proc.pid },
            bare: { url: `${bare.url}/api/deployments/dep-bench/events`, headers: plain },
          },
          0,
          seconds,
          connections,
          by,
        )
        const [ours, base] = [single.ours!, single.bare!].map((runs) => mean(runs, (r) => r.perSecond)) as [number, number]
        record('PostgreSQL, one node: single-event reports', `${ours.toFixed(0)} reports/s`, `${summary(single.ours!)}; ${ratio(ours, deps.sqlite.single)}${failures(single.ours!)}`)
        record('bare Bun.sql insert: Bun.serve + one INSERT per request (same cluster, pool 16)', `${base.toFixed(0)} reports/s`, `${summary(single.bare!)}${failures(single.bare!)}`)
        record('ratio PostgreSQL one node / bare Bun.sql insert, single', `${(ours / base).toFixed(2)}×`)
        const batch = await takeTurns(
          {
            ours: { url: `${first.url}/api/deployments/${await deployment()}/events/batch`, headers: agentHeaders, pid: first.proc.pid },
            bare: { url: `${bare.url}/api/deployments/dep-bench/events/batch`, headers: plain },
          },
          100,
          seconds,
          connections,
          by,
        )
        const [oursBatch, baseBatch] = [batch.ours!, batch.bare!].map((runs) => mean(runs, (r) => r.perSecond) * 100) as [number, number]
        record('PostgreSQL, one node: batches of 100', `${oursBatch.toFixed(0)} events/s`, `${summary(batch.ours!, ' batches/s')}; ${ratio(oursBatch, deps.sqlite.batch)}${failures(batch.ours!)}`)
        record('bare Bun.sql insert: one multi-row INSERT per batch of 100', `${baseBatch.toFixed(0)} events/s`, `${summary(batch.bare!, ' batches/s')}${failures(batch.bare!)}`)
        record('ratio PostgreSQL one node / bare Bun.sql insert, batch', `${(oursBatch / baseBatch).toFixed(2)}×`)
      } finally {
        bare.proc.kill()
        await bare.proc.exited
      }
    }
    await oneNode()
    const second = await deps.start([deps.binary, '--port', '0', '--db', db], listening, deps.env)
    nodes.push(second)
    await ingest('two nodes, one database, one deployment (the load split between them)', [first.url, second.url])
    await ingest('two nodes, one database, a deployment per node', [first.url, second.url], false)

    console.log(`PostgreSQL reads on one deployment holding ${deps.bigEvents.toLocaleString('en')} events`)
    const big = await deployment()
    const fill = performance.now()
    const fillBody = () => JSON.stringify({ events: Array.from({ length: 500 }, deps.uniqueEvent) })
    await Promise.all(
      [first.url, second.url].map((u) =>
        autocannon({ url: `${u}/api/deployments/${big}/events/batch`, method: 'POST', headers: agentHeaders, connections: 4, amount: Math.ceil(deps.bigEvents / 1000), requests: [{ setupRequest: (r) => ({ ...r, body: fillBody() }) }] }),
      ),
    )
    const total = ((await (await fetch(`${first.url}/api/deployments/${big}/events?limit=1`, { headers: asKey })).json()) as { total: number }).total
    record('PostgreSQL: fill with batches of 500 through both nodes', `${total.toLocaleString('en')} events in ${((performance.now() - fill) / 1000).toFixed(1)} s`)
    const middle = Math.floor(total / 2)
    const cursor = await deps.cursorTo(first.url, big, asKey, middle)
    for (const [name, query, sqliteP99] of [
      ['first page (100)', '', deps.sqlite.firstPageP99],
      [`cursor page at ${middle.toLocaleString('en')}`, `?cursor=${cursor}`, deps.sqlite.cursorPageP99],
    ] as const) {
      const steady = await autocannon({ url: `${first.url}/api/deployments/${big}/events${query}`, headers: asKey, duration: Math.min(seconds, 5), connections: 1, overallRate: 100 })
      record(`PostgreSQL: GET …/events ${name}, one client at 100 req/s`, `p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms`, sqliteP99 !== undefined ? `SQLite p99 ${sqliteP99} ms this run` : '')
    }
  } finally {
    for (const node of nodes) {
      node.proc.kill('SIGTERM')
      await node.proc.exited
    }
    cluster.stop()
  }
}
