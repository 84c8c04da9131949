// The ingestion rows of `npm run bench`: single-event reports and batches of 100, measured with wrk
// (test/bench/wrk.ts) against ground-console and two servers of the same run — the HTTP ceiling
// (test/bench/ceiling.ts: parses and answers, stores nothing) and the bare-insert baseline
// (test/bench/baseline.ts: one SQLite insert per request, synchronous=NORMAL). After a 3 s warm-up each, the
// servers take turns twice and the mean counts. It prints figures; it asserts nothing.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { wrk, wrkAvailable, type WrkResult } from './wrk'

type Started = { proc: { pid: number; kill(signal?: string | number): void; exited: Promise<number> }; url: string }

export type IngestDeps = {
  /** ground-console's URL and pid (its RSS is sampled under load). */
  url: string
  pid: number
  agentHeaders: Record<string, string>
  deployment(): Promise<string>
  start(command: string[], pattern: RegExp): Promise<Started>
  dir: string
  seconds: number
  connections: number
  record(what: string, figure: string, note?: string): void
}

export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** wrk against `url`, sampling `pid`'s RSS meanwhile. */
async function measure(url: string, headers: Record<string, string>, seconds: number, connections: number, batch: number, pid?: number) {
  let peak = 0
  const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200) : undefined
  try {
    const result = await wrk(url, { headers, seconds, connections, threads: 1, batch })
    if (result.non2xx || result.errors) console.log(`    (non-2xx ${result.non2xx}, socket errors ${result.errors})`)
    return { ...result, peakRss: peak }
  } finally {
    clearInterval(sampler)
  }
}

export type Run = WrkResult & { peakRss: number }
/** One measured run: `batch` 0 is one event per request; `pid`'s RSS is sampled when given. */
export type Measure = (url: string, headers: Record<string, string>, seconds: number, connections: number, batch: number, pid?: number) => Promise<Run>
export const mean = (list: Run[], pick: (r: Run) => number) => list.reduce((sum, r) => sum + pick(r), 0) / list.length
export const summary = (list: Run[], unit = '') => `p50 ${mean(list, (r) => r.p50).toFixed(1)} ms, p99 ${mean(list, (r) => r.p99).toFixed(1)} ms; runs ${list.map((r) => r.perSecond.toFixed(0)).join(', ')}${unit}`

/**
 * Each server in turn, twice, after a 3 s warm-up of each; the runs by server name. Measured with wrk
 * unless `by` says otherwise (test/bench/postgres.ts's autocannon fallback).
 */
export async function takeTurns(servers: Record<string, { url: string; headers: Record<string, string>; pid?: number }>, batch: number, seconds: number, connections: number, by: Measure = measure) {
  for (const server of Object.values(servers)) await by(server.url, server.headers, 3, connections, batch)
  const runs: Record<string, Run[]> = {}
  for (let round = 0; round < 2; round++)
    for (const [name, server] of Object.entries(servers)) (runs[name] ??= []).push(await by(server.url, server.headers, seconds, connections, batch, server.pid))
  return runs
}

export async function ingestRows(deps: IngestDeps): Promise<{ single: number; batch: number; peakRss: number } | null> {
  const { record, seconds, connections } = deps
  if (!wrkAvailable()) {
    console.log('SKIPPED: the ingestion rows — no wrk here (install Debian’s wrk)')
    return null
  }
  const ceiling = await deps.start([process.execPath, join(import.meta.dir, 'ceiling.ts')], /listening (\d+)/)
  const base = await deps.start([process.execPath, join(import.meta.dir, 'baseline.ts'), join(deps.dir, 'baseline.db')], /listening (\d+)/)
  const plain = { 'content-type': 'application/json' }
  try {
    console.log(`single-event reports (wrk, ${connections} connections; after a 3 s warm-up each, the servers take turns twice; the mean counts)`)
    const single = await takeTurns(
      {
        ours: { url: `${deps.url}/api/deployments/${await deps.deployment()}/events`, headers: deps.agentHeaders, pid: deps.pid },
        ceiling: { url: `${ceiling.url}/api/deployments/dep-bench/events`, headers: plain },
        baseline: { url: `${base.url}/api/deployments/dep-bench/events`, headers: plain },
      },
      0,
      seconds,
      connections,
    )
    const [ours, top, bare] = [single.ours!, single.ceiling!, single.baseline!].map((runs) => mean(runs, (r) => r.perSecond)) as [number, number, number]
    record('ground-console, durable (synchronous=FULL)', `${ours.toFixed(0)} reports/s`, summary(single.ours!))
    record('HTTP ceiling: Bun.serve + JSON parse, stores nothing', `${top.toFixed(0)} reports/s`, summary(single.ceiling!))
    record('baseline: Bun.serve + one insert per request (synchronous=NORMAL)', `${bare.toFixed(0)} reports/s`, summary(single.baseline!))
    record('ratio ground-console / HTTP ceiling', `${(ours / top).toFixed(2)}×`, 'target ≥ 0.5×')
    record('ratio ground-console / bare insert', `${(ours / bare).toFixed(2)}×`, 'target ≥ 0.8×')

    console.log('batch reports (100 events each, wrk; the servers take turns twice)')
    const batch = await takeTurns(
      {
        ours: { url: `${deps.url}/api/deployments/${await deps.deployment()}/events/batch`, headers: deps.agentHeaders, pid: deps.pid },
        baseline: { url: `${base.url}/api/deployments/dep-bench/events/batch`, headers: plain },
      },
      100,
      seconds,
      connections,
    )
    const [oursBatch, bareBatch] = [batch.ours!, batch.baseline!].map((runs) => mean(runs, (r) => r.perSecond) * 100) as [number, number]
    record('batch ingestion, durable', `${oursBatch.toFixed(0)} events/s`, `${summary(batch.ours!, ' batches/s')}`)
    record('baseline: Bun.serve + JSON.parse + one insert per event, one transaction per batch (synchronous=NORMAL)', `${bareBatch.toFixed(0)} events/s`, summary(batch.baseline!, ' batches/s'))
    record('batch ratio ground-console / bare batch', `${(oursBatch / bareBatch).toFixed(2)}×`, 'target ≥ 1.6×')
    const peakRss = Math.max(...[...single.ours!, ...batch.ours!].map((r) => r.peakRss))
    record('RSS under load (single and batch)', `${peakRss.toFixed(1)} MB`, 'target ≤ 100 MB')
    return { single: ours, batch: oursBatch, peakRss }
  } finally {
    ceiling.proc.kill()
    base.proc.kill()
  }
}
