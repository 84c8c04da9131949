// The benchmark's stream section: report→delivery latency while 500 streams follow one live deployment
// (GET …/events/stream) and reports arrive at a steady rate from a few clients, each event carrying its
// send time; whether every stream got every event exactly once and in order; ingestion with and without
// those subscribers; and the same fan-out from a bare Bun.serve (test/bench/stream-baseline.ts). The
// subscribers run in a process of their own (test/bench/stream-subscribers.ts). It prints figures; it
// asserts nothing.
import autocannon from 'autocannon'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

type RecordFigure = (what: string, figure: string, note?: string) => void
type Headers_ = Record<string, string>
export type StreamDeps = { url: string; pid: number; asKey: Headers_; agentHeaders: Headers_; deployment(): Promise<string>; record: RecordFigure }

const SUBSCRIBERS = Number(process.env.BENCH_STREAM_SUBSCRIBERS ?? 500)
const RATE = Number(process.env.BENCH_STREAM_RATE ?? 100)
const SECONDS = Number(process.env.BENCH_STREAM_SECONDS ?? 10)
const CLIENTS = 4
const SATURATED_SECONDS = 4
const BASE_MS = Date.parse('2026-03-08T12:00:00Z')

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
/** CPU time the process has used, user and system (/proc/PID/stat, in clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
const ms = (us: number) => (us / 1000).toFixed(1)
let counter = 0
/** Every process this section starts, killed at its end whatever happened. */
const children: Subprocess[] = []
const event = (payload: object) => ({ type: 'step.progress', timestamp: new Date(BASE_MS + counter++).toISOString(), job_id: 'stream-bench', payload })

/** Server RSS sampled every 200 ms; `peak()` gives the highest since the last call. */
function sampleRss(pid: number) {
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200)
  return {
    peak() {
      const highest = Math.max(peak, rssMb(pid))
      peak = 0
      return highest
    },
    stop: () => clearInterval(timer),
  }
}

/** The subscribers' process, once all its streams have their first frame; `ask` sends one command. */
async function subscribe(url: string, headers: Headers_, capacity: number) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'stream-subscribers.ts'), url, String(SUBSCRIBERS), String(capacity)], {
    // Bun's fetch runs at most 256 requests at once unless told otherwise.
    env: { ...process.env, STREAM_HEADERS: JSON.stringify(headers), BUN_CONFIG_MAX_HTTP_REQUESTS: String(SUBSCRIBERS + 64) },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  children.push(proc)
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const nextLine = async (): Promise<any> => {
    let end: number
    while ((end = buffer.indexOf('\n')) < 0) {
      const { value, done } = await reader.read()
      if (done) throw new Error('the subscribers exited')
      buffer += value
    }
    const line = buffer.slice(0, end)
    buffer = buffer.slice(end + 1)
    return JSON.parse(line)
  }
  const ready = (await nextLine()) as { ready: number; ms: number }
  const ask = (command: string) => {
    proc.stdin.write(`${command}\n`)
    proc.stdin.flush()
    return nextLine()
  }
  // Their clock against ours: the offset seen on the quickest of a few round trips.
  let best = { rtt: Infinity, offset: 0 }
  for (let i = 0; i < 5; i++) {
    const before = nowUs()
    const { now } = await ask('ping')
    const after = nowUs()
    if (after - before < best.rtt) best = { rtt: after - before, offset: now - (before + after) / 2 }
  }
  return { proc, ready, ask, clock: best }
}
type Subscribers = Awaited<ReturnType<typeof subscribe>>

/**
 * `seconds` of reports at RATE a second, from CLIENTS clients taking turns (each waits for its answer, then
 * for its next slot; none sends after the time is up, so a server that falls behind gets fewer); event `n`
 * carries `n` and its send time. When each was sent and answered, by `n`, and how busy each of `pids` was
 * meanwhile (CPU %, 100 = one core).
 */
async function steady(url: string, headers: Headers_, seconds: number, pids: number[] = []) {
  const total = Math.round(RATE * seconds)
  const sent = new Float64Array(total).fill(Number.NaN)
  const acked = new Float64Array(total).fill(Number.NaN)
  let [created, failures] = [0, 0]
  const cpuBefore = pids.map(cpuMs)
  const began = performance.now()
  const deadline = began + seconds * 1000
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = client; n < total && performance.now() < deadline; n += CLIENTS) {
        const wait = began + (n * 1000) / RATE - performance.now()
        if (wait > 0) await Bun.sleep(wait)
        const at = nowUs()
        const reply = await fetch(url, { method: 'POST', headers, body: JSON.stringify(event({ n, sent_us: Math.round(at) })) })
        const answered = nowUs()
        await reply.arrayBuffer()
        if (reply.status !== 201) failures++
        else [sent[n], acked[n], created] = [at, answered, created + 1]
      }
    }),
  )
  const elapsed = (performance.now() - began) / 1000
  const cpu = pids.map((pid, i) => (cpuMs(pid) - cpuBefore[i]!) / (elapsed * 10))
  const answers = Float64Array.from([...acked].map((a, n) => a - sent[n]!).filter((d) => !Number.isNaN(d)))
  return { sent, acked, created, failures, elapsed, cpu, perSecond: created / elapsed, ack: percentiles(answers) }
}
type Steady = Awaited<ReturnType<typeof steady>>
const answered = (run: Steady) => `201 after ${spread(run.ack)}${run.failures ? `; ${run.failures} failed` : ''}`

function percentiles(values: Float64Array) {
  values.sort()
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN
  return { p50: at(0.5), p99: at(0.99), max: values[values.length - 1] ?? Number.NaN, min: values[0] ?? Number.NaN }
}
const spread = (p: ReturnType<typeof percentiles>) => `p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)} ms, max ${ms(p.max)} ms`

/** Every subscriber's delivery of every timed event: from its send, from its 201, and what never came. */
async function deliveries(subscribers: Subscribers, run: Steady, dir: string) {
  const file = join(dir, `received-${counter}.bin`)
  const summary = await subscribers.ask(`summary ${file}`)
  const received = new Float64Array(await Bun.file(file).arrayBuffer())
  const capacity = run.sent.length
  const fromSend = new Float64Array(SUBSCRIBERS * capacity)
  const fromAck = new Float64Array(SUBSCRIBERS * capacity)
  let k = 0
  let missing = 0
  let early = 0
  let last = 0
  for (let i = 0; i < SUBSCRIBERS; i++)
    for (let n = 0; n < capacity; n++) {
      if (Number.isNaN(run.sent[n]!)) continue
      const at = received[i * capacity + n]! - subscribers.clock.offset
      if (Number.isNaN(at)) missing++
      else {
        fromSend[k] = at - run.sent[n]!
        fromAck[k] = at - run.acked[n]!
        if (fromAck[k]! < 0) early++
        last = Math.max(last, at)
        k++
      }
    }
  const first = run.sent.find((t) => !Number.isNaN(t)) ?? 0
  return { summary, count: k, missing, early, perSecond: k / ((last - first) / 1e6), send: percentiles(fromSend.subarray(0, k)), ack: percentiles(fromAck.subarray(0, k)) }
}

const verdict = (d: Awaited<ReturnType<typeof deliveries>>, expectedLast: number) => {
  const s = d.summary
  const exact = d.missing === 0 && s.skipped === 0 && s.behind === 0 && s.repeatedN === 0 && s.minLast === expectedLast && s.maxLast === expectedLast
  return [
    exact ? 'yes' : 'NO',
    `${d.missing} timed deliveries missing, ${s.skipped} ids skipped, ${s.behind} ids repeated or out of order, ${s.repeatedN} events twice; last id ${s.minLast}…${s.maxLast} of ${expectedLast}; ${s.resumes} resumes, ${s.errors} connection errors`,
  ] as const
}

/** Reports as fast as 50 connections get them answered: reports/s, and the server's CPU ms per 1 000. */
async function saturate(url: string, headers: Headers_, pid: number) {
  const cpu = cpuMs(pid)
  const result = await autocannon({ url, method: 'POST', headers, connections: 50, duration: SATURATED_SECONDS, requests: [{ setupRequest: (r) => ({ ...r, body: JSON.stringify(event({ busy: true })) }) }] })
  if (result.non2xx || result.errors) console.log(`    (non-2xx ${result.non2xx}, errors ${result.errors})`)
  return { perSecond: result['2xx'] / (result.duration || SATURATED_SECONDS), cpuPerThousand: ((cpuMs(pid) - cpu) * 1000) / result['2xx'] }
}

export async function streamFanOut({ url, pid, asKey, agentHeaders, deployment, record }: StreamDeps) {
  console.log(`streams: ${SUBSCRIBERS} subscribers of one live deployment, reports at ${RATE}/s from ${CLIENTS} clients for ${SECONDS} s`)
  const dir = mkdtempSync(join(tmpdir(), 'gc-bench-streams-'))
  const rss = sampleRss(pid)
  try {
    const [quiet, busy] = [await deployment(), await deployment()]
    const reportUrl = (id: string) => `${url}/api/deployments/${id}/events`
    await steady(reportUrl(quiet), agentHeaders, 1) // warm-up
    const alone = await steady(reportUrl(quiet), agentHeaders, SECONDS / 2, [pid])
    record('streams: reports at a steady rate, 0 subscribers', `${alone.perSecond.toFixed(0)} events/s`, `${answered(alone)}; server CPU ${alone.cpu[0]!.toFixed(0)} %`)
    const rssAlone = rss.peak()

    const subscribers = await subscribe(`${reportUrl(busy)}/stream`, asKey, Math.round(RATE * SECONDS))
    record(`streams: ${subscribers.ready.ready} of ${SUBSCRIBERS} streams open`, `${subscribers.ready.ms.toFixed(0)} ms`, `clocks within ±${ms(subscribers.clock.rtt / 2)} ms`)
    const rssOpen = rss.peak()
    const watched = await steady(reportUrl(busy), agentHeaders, SECONDS, [pid, subscribers.proc.pid, process.pid])
    const drain = await subscribers.ask(`wait ${watched.created} 10000`)
    const rssDuring = rss.peak()
    const timed = await deliveries(subscribers, watched, dir)
    const [server, readers, reporters] = watched.cpu.map((c) => `${c.toFixed(0)} %`)
    record(`streams: reports at a steady rate, ${SUBSCRIBERS} subscribers`, `${watched.perSecond.toFixed(0)} events/s`, `${answered(watched)}; CPU: server ${server}, subscribers ${readers}, reporters ${reporters}`)
    const perDelivery = ((watched.cpu[0]! - alone.cpu[0]!) * 10 * watched.elapsed * 1000) / timed.count
    record('streams: send → delivery', spread(timed.send), `${timed.count} deliveries, ${timed.perSecond.toFixed(0)}/s, ~${perDelivery.toFixed(1)} µs of server CPU each; the last ones ${drain.ms.toFixed(0)} ms after the last 201`)
    record('streams: 201 → delivery', spread(timed.ack), `min ${ms(timed.ack.min)} ms; ${((100 * timed.early) / timed.count).toFixed(1)} % delivered before the reporter had its 201`)
    record('streams: every event to every subscriber once, in order', ...verdict(timed, watched.created))
    record('streams: server RSS', `${rssDuring.toFixed(1)} MB peak with the streams`, `peak ${rssAlone.toFixed(1)} MB while 0 subscribers, ${rssOpen.toFixed(1)} MB while they opened`)

    // Saturated single reports: to the deployment no stream follows, then to the followed one, then again.
    const aloneRuns = [await saturate(reportUrl(quiet), agentHeaders, pid)]
    const watchedRun = await saturate(reportUrl(busy), agentHeaders, pid)
    aloneRuns.push(await saturate(reportUrl(quiet), agentHeaders, pid))
    const total = ((await (await fetch(`${reportUrl(busy)}?limit=1`, { headers: asKey })).json()) as { total: number }).total
    const caughtUp = await subscribers.ask(`wait ${total} 10000`)
    const after = await subscribers.ask(`summary ${join(dir, 'after.bin')}`)
    const aloneRate = (aloneRuns[0]!.perSecond + aloneRuns[1]!.perSecond) / 2
    const aloneCpu = (aloneRuns[0]!.cpuPerThousand + aloneRuns[1]!.cpuPerThousand) / 2
    record('streams: saturated reports, 0 subscribers', `${aloneRate.toFixed(0)} reports/s`, `runs ${aloneRuns.map((r) => r.perSecond.toFixed(0)).join(', ')}, before and after the next row; 50 connections, ${SATURATED_SECONDS} s each; server CPU ${aloneCpu.toFixed(0)} ms per 1 000 reports`)
    record(`streams: saturated reports, ${SUBSCRIBERS} subscribers`, `${watchedRun.perSecond.toFixed(0)} reports/s`, `server CPU ${watchedRun.cpuPerThousand.toFixed(0)} ms per 1 000 reports; peak RSS ${rss.peak().toFixed(1)} MB`)
    record(`streams: saturated reports, ratio ${SUBSCRIBERS} / 0 subscribers`, `${(watchedRun.perSecond / aloneRate).toFixed(2)}×`, "the subscribers' process shares this machine's cores with the server and the load")
    const exact = after.skipped === 0 && after.behind === 0 && after.minLast === total && after.maxLast === total
    record(
      'streams: after saturation, every event to every subscriber once, in order',
      exact ? 'yes' : 'NO',
      `last id ${after.minLast}…${after.maxLast} of ${total} (${caughtUp.behind} behind after ${caughtUp.ms.toFixed(0)} ms); ${after.skipped} skipped, ${after.behind} repeated or out of order; ${after.resumes} resumes (cut off as slow), ${after.errors} connection errors`,
    )

    const cancel = await fetch(`${url}/api/deployments/${busy}/cancel`, { method: 'POST', headers: asKey })
    const closed = await subscribers.ask('close 5000')
    await subscribers.proc.exited
    await Bun.sleep(1000)
    record('streams: ended by the cancel', `${closed.ended} of ${SUBSCRIBERS} in ${closed.ms.toFixed(0)} ms`, `cancel answered ${cancel.status}; RSS a second later ${rssMb(pid).toFixed(1)} MB`)

    await baseline(dir, agentHeaders, timed, record)
  } finally {
    rss.stop()
    for (const child of children.splice(0)) child.kill()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same steady reports and subscribers against test/bench/stream-baseline.ts. */
async function baseline(dir: string, headers: Headers_, ours: Awaited<ReturnType<typeof deliveries>>, record: RecordFigure) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'stream-baseline.ts')], { stdout: 'pipe', stderr: 'inherit' })
  children.push(proc)
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  while (!/listening (\d+)/.test(text)) text += (await reader.read()).value ?? ''
  const url = `http://127.0.0.1:${/listening (\d+)/.exec(text)![1]}/api/deployments/dep-baseline/events`
  const seconds = SECONDS / 2
  const subscribers = await subscribe(`${url}/stream`, {}, Math.round(RATE * seconds))
  const run = await steady(url, headers, seconds, [proc.pid, subscribers.proc.pid])
  await subscribers.ask(`wait ${run.created} 10000`)
  const timed = await deliveries(subscribers, run, dir)
  await fetch(`${url.replace(/\/events$/, '')}/cancel`, { method: 'POST' })
  await subscribers.ask('close 5000')
  const [server, readers] = run.cpu.map((c) => `${c.toFixed(0)} %`)
  record('baseline: Bun.serve fan-out, send → delivery', spread(timed.send), `${timed.count} deliveries over ${seconds} s, CPU: server ${server}, subscribers ${readers}; nothing stored; ${verdict(timed, run.created)[0] === 'yes' ? 'all delivered once, in order' : verdict(timed, run.created)[1]}`)
  record('baseline: Bun.serve fan-out, 201 → delivery', spread(timed.ack), `ratio of p50 send → delivery, ground-console / baseline: ${(ours.send.p50 / timed.send.p50).toFixed(1)}×`)
}
