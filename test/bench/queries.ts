// The benchmark's queries (docs/events.md), on the deployment of a million events that run.ts has filled
// (run.ts times the cursor page half-way down against the first page and the offset page), on a server
// just started: a filtered total, and the export of every event — its rate, the server's peak RSS, and the
// slowest /healthz answer while it runs. It prints figures; it asserts nothing.

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
