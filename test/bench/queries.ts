// The benchmark's queries (docs/events.md), on the deployment of a million events that run.ts has filled
// (run.ts times the cursor page half-way down against the first page and the offset page), on a server
// just started: a filtered total, and the export of every event — its rate, the server's peak RSS, and the
// slowest /healthz answer while it runs; and a quiet tenant's reports while 20 clients page at a deep
// offset (readersAgainstReports). It prints figures; it asserts nothing.
import autocannon from 'autocannon'

export type QueryDeps = {
  url: string
  asKey: Record<string, string>
  deployment: string
  total: number
  pid: number
  record: (what: string, figure: string, note?: string) => void
  rssMb: (pid: number) => number
}

/** The next_cursor of the offset page that ends just before event `n`: a cursor to event n. */
export async function cursorTo(url: string, deployment: string, asKey: Record<string, string>, n: number): Promise<string> {
  const reply = await fetch(`${url}/api/deployments/${deployment}/events?offset=${n - 1}&limit=1`, { headers: asKey })
  return ((await reply.json()) as { next_cursor: string }).next_cursor
}

/** Runs `work` while another client polls /healthz: the slowest answer is the longest the loop was held. */
async function stallDuring<T>(url: string, work: () => Promise<T>): Promise<{ value: T; stall: number }> {
  let done = false
  let stall = 0
  const poller = (async () => {
    while (!done) {
      const began = performance.now()
      await (await fetch(`${url}/healthz`)).arrayBuffer()
      stall = Math.max(stall, performance.now() - began)
      await Bun.sleep(5)
    }
  })()
  await Bun.sleep(20)
  const value = await work()
  done = true
  await poller
  return { value, stall }
}

export async function filteredTotalAndExport({ url, asKey, deployment, total, pid, record, rssMb }: QueryDeps) {
  const events = `${url}/api/deployments/${deployment}/events`
  // Filters that match every event: the total counts them all, a stretch at a time (docs/events.md).
  for (const query of ['type=step.*', `since=2000-01-01T00:00:00Z`]) {
    const times: number[] = []
    let stall = 0
    for (let i = 0; i < 5; i++) {
      const run = await stallDuring(url, async () => {
        const began = performance.now()
        await (await fetch(`${events}?${query}&limit=100`, { headers: asKey })).arrayBuffer()
        return performance.now() - began
      })
      times.push(run.value)
      stall = Math.max(stall, run.stall)
    }
    times.sort((a, b) => a - b)
    record(
      `GET …/events?${query} (total counts ${total.toLocaleString('en')} matches)`,
      `median ${times[2]!.toFixed(0)} ms`,
      `${((times[2]! * 1000) / total).toFixed(2)} µs per event counted; slowest /healthz meanwhile ${stall.toFixed(0)} ms`,
    )
  }

  for (const format of ['ndjson', 'csv']) {
    const before = rssMb(pid)
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50)
    const began = performance.now()
    const { value: counted, stall } = await stallDuring(url, async () => {
      const response = await fetch(`${events}/export?format=${format}`, { headers: asKey })
      let bytes = 0
      let lines = 0
      for await (const chunk of response.body!) {
        bytes += chunk.byteLength
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++
      }
      return { bytes, lines }
    })
    const seconds = (performance.now() - began) / 1000
    clearInterval(sampler)
    const exported = format === 'csv' ? counted.lines - 1 : counted.lines
    record(
      `export of ${exported.toLocaleString('en')} events (${format}, ${(counted.bytes / 2 ** 20).toFixed(0)} MiB)`,
      `${Math.round(exported / seconds).toLocaleString('en')} events/s in ${seconds.toFixed(1)} s`,
      `peak RSS ${peak.toFixed(0)} MB (${before.toFixed(0)} MB before it; target ≤ 100 MB); slowest /healthz meanwhile ${stall.toFixed(0)} ms`,
    )
  }
}

/** The reader pages through `deployment` (QueryDeps') at `offset`; `cookie`, an admin's session, makes the quiet tenant. */
export type StarvationDeps = Pick<QueryDeps, 'url' | 'asKey' | 'deployment' | 'record'> & { offset: number; cookie: string }

/**
 * Reads never starve reports: a quiet tenant reports single events at a steady 200/s (4 connections)
 * alone, then while 20 clients of another tenant page at a deep offset as fast as they can. Target: the
 * quiet tenant's p99 within 2× its unloaded p99.
 */
export async function readersAgainstReports({ url, asKey, deployment, offset, cookie, record }: StarvationDeps) {
  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const reply = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
    return (await reply.json()) as Record<string, string>
  }
  const email = `quiet-${Date.now()}@localhost`
  await post('/api/users', { email, password: 'quiet-tenant-password' }, { cookie })
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'quiet-tenant-password' }) })
  const quietCookie = login.headers.get('set-cookie')!.split(';')[0]!
  const quiet = { 'x-api-key': (await post('/api/keys', { name: 'quiet' }, { cookie: quietCookie })).key! }
  const mission = (await post('/api/missions', { name: 'quiet' }, quiet)).id
  const plan = (await post('/api/plans', { mission_id: mission, label: 'q', satellite_id: 'quiet', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, quiet)).id
  const target = (await post('/api/deployments', { plan_id: plan, mode: 'live' }, quiet)).id
  let n = 0
  const reports = (seconds: number) =>
    autocannon({
      url: `${url}/api/deployments/${target}/events`,
      method: 'POST',
      headers: { ...quiet, 'x-agent-id': 'sat-quiet', 'content-type': 'application/json' },
      connections: 4,
      overallRate: 200,
      duration: seconds,
      requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify({ type: 'step.progress', timestamp: new Date(Date.UTC(2026, 2, 7) + n++).toISOString(), payload: { n } }) }) }],
    })
  await reports(2)
  const alone = await reports(5)
  const readers = autocannon({ url: `${url}/api/deployments/${deployment}/events?offset=${offset}`, headers: asKey, connections: 20, duration: 7 })
  await Bun.sleep(1000)
  const loaded = await reports(5)
  const read = await readers
  record('a quiet tenant’s single reports at 200/s, alone', `p50 ${alone.latency.p50} ms, p99 ${alone.latency.p99} ms`)
  record(
    `the same while 20 clients page at offset=${offset.toLocaleString('en')}`,
    `p50 ${loaded.latency.p50} ms, p99 ${loaded.latency.p99} ms`,
    `p99 ${(loaded.latency.p99 / Math.max(alone.latency.p99, 1)).toFixed(2)}× alone (target ≤ 2×); the readers: ${(read['2xx'] / 7).toFixed(0)} pages/s, p50 ${read.latency.p50} ms${loaded.non2xx ? `; ${loaded.non2xx} reports non-2xx` : ''}`,
  )
}
