// Backup of a database of a million events while the server ingests (docs/operations.md "Backup and
// restore"): the worst and the 99th-percentile report latency without a backup and during one, for the
// admin API's download (a worker thread in the server; curl downloads it) and the CLI (another process on the same file);
// the backup's duration and size. It prints figures; it asserts nothing.
//   bun test/bench/backup.ts            (EVENTS=1000000 by default; KEEP=1 keeps the directory)
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { ROOT, setUpOperator, startServer } from '../server/process'

const EVENTS = Number(process.env.EVENTS ?? 1_000_000)
const REPORTERS = 4
const dir = tempDir('gc-bench-backup-')
const db = join(dir.path, 'gc.db')
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
const size = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

const server = await startServer({ db })
try {
  const op = await setUpOperator(server.url)
  // The million events: batches of 500 through the app, four at a time (what an agent fleet would do).
  const started = performance.now()
  let next = 0
  const filler = async () => {
    for (;;) {
      const b = next++
      if (b * 500 >= EVENTS) return
      const events = Array.from({ length: 500 }, (_, i) => ({
        type: i % 50 === 0 ? 'transfer.chunk.sent' : 'step.progress',
        timestamp: new Date(Date.UTC(2026, 2, 7) + (b * 500 + i) * 10).toISOString(),
        job_id: 'job-1',
        step_id: `step-${i % 7}`,
        payload: { n: b * 500 + i, progress: i / 500, note: 'telemetry frame ok' },
      }))
      const r = await fetch(`${server.url}/api/deployments/${op.deploymentId}/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...op.asAgent },
        body: JSON.stringify({ events }),
      })
      if (r.status !== 200) throw new Error(`batch ${b}: ${r.status} ${await r.text()}`)
    }
  }
  await Promise.all(Array.from({ length: 4 }, filler))
  console.log(`filled ${EVENTS} events in ${((performance.now() - started) / 1000).toFixed(1)} s; database ${mb(size(db))}, WAL ${mb(size(`${db}-wal`))}`)
  await Bun.sleep(2000) // let the checkpointer catch up

  // A second deployment that the reporters write to, one event per request, as agents do.
  const other = await op.post('/api/deployments', { plan_id: (await (await fetch(`${server.url}/api/plans`, { headers: op.asKey })).json()).plans[0].id, mode: 'live' }, op.asKey)
  let seq = 0
  async function measure<T>(work: () => Promise<T>): Promise<{ value: T; worst: number; p99: number; count: number }> {
    const latencies: number[] = []
    let worst = 0
    let worstAt = 0
    let workStart = 0
    let done = false
    // Before `work` starts: reporters warm up and the WAL settles (each phase starts with the same state).
    const reporter = async () => {
      while (!done) {
        const began = performance.now()
        const r = await fetch(`${server.url}/api/deployments/${other.id}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...op.asAgent },
          body: JSON.stringify({ type: 'step.progress', timestamp: new Date(Date.UTC(2026, 3, 1) + ++seq).toISOString(), payload: { seq } }),
        })
        await r.arrayBuffer()
        if (r.status !== 201) throw new Error(`report: ${r.status}`)
        const took = performance.now() - began
        // Only the reports sent while the work runs count (not those of the warm-up before it).
        if (workStart === 0 || began < workStart) continue
        if (took > worst) {
          worst = took
          worstAt = began - workStart
        }
        latencies.push(took)
      }
    }
    const reporters = Array.from({ length: REPORTERS }, reporter)
    await Bun.sleep(1000)
    worst = 0
    workStart = performance.now()
    const value = await work()
    done = true
    await Promise.all(reporters)
    latencies.sort((a, b) => a - b)
    if (process.env.DEBUG) console.log(`  worst report began ${worstAt.toFixed(0)} ms after the work started`)
    return { value, worst: latencies.at(-1) ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, count: latencies.length }
  }
  const line = (what: string, m: { worst: number; p99: number; count: number }, extra = '') =>
    console.log(`${what.padEnd(34)} worst report ${m.worst.toFixed(1).padStart(7)} ms, p99 ${m.p99.toFixed(1).padStart(6)} ms, ${String(m.count).padStart(6)} reports${extra}; WAL now ${mb(size(`${db}-wal`))}`)

  for (let round = 1; round <= 2; round++) {
    const idle = await measure(() => Bun.sleep(8000))
    line(`round ${round}: no backup (8 s)`, idle)

    const viaApi = await measure(async () => {
      const began = performance.now()
      // Downloaded by curl, another process, as an admin would: this process only times the reporters.
      const out = join(dir.path, `api-${round}.db`)
      const curl = Bun.spawn(['curl', '-s', '-o', out, '-w', '%{http_code} %{time_starttransfer}', '-X', 'POST', '-b', op.cookie, `${server.url}/api/admin/backup`], { stdout: 'pipe' })
      const [written] = await Promise.all([new Response(curl.stdout).text(), curl.exited])
      const [status, firstByte] = written.split(' ')
      if (process.env.DEBUG) console.log(`  first byte after ${(Number(firstByte) * 1000).toFixed(0)} ms`)
      return { ms: performance.now() - began, bytes: size(out), status: Number(status) }
    })
    line(`round ${round}: API backup (download)`, viaApi, `; backup ${(viaApi.value.ms / 1000).toFixed(1)} s, ${mb(viaApi.value.bytes)} (status ${viaApi.value.status})`)

    const viaCli = await measure(async () => {
      const began = performance.now()
      const out = join(dir.path, `cli-${round}.db`)
      const proc = Bun.spawn([process.execPath, join(ROOT, 'src/main.ts'), 'backup', '--db', db, '--out', out], { stdout: 'pipe', stderr: 'pipe' })
      const code = await proc.exited
      if (code !== 0) throw new Error(`cli backup: ${await new Response(proc.stderr).text()}`)
      return { ms: performance.now() - began, bytes: size(out) }
    })
    line(`round ${round}: CLI backup (process)`, viaCli, `; backup ${(viaCli.value.ms / 1000).toFixed(1)} s, ${mb(viaCli.value.bytes)}`)
  }
  console.log(`database ${mb(size(db))}, WAL ${mb(size(`${db}-wal`))}`)
} finally {
  await server.stop()
  if (!process.env.KEEP) dir.remove()
  else console.log(`kept ${dir.path}`)
}
