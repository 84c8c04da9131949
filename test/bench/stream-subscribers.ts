// The stream case's subscribers (test/bench/streams.ts), in a process of their own so that reading the
// streams does not slow the reports being sent: COUNT connections to one SSE URL, each checking that its
// ids come 1, 2, 3… exactly once and in order, resuming with Last-Event-ID when cut off, and noting when
// each event (by its payload's `n`, below CAPACITY) reached it. Commands on stdin, one JSON line back each.
// Usage: STREAM_HEADERS='{…}' bun test/bench/stream-subscribers.ts URL COUNT CAPACITY
export {}

const [url = '', count = '0', capacity = '0'] = process.argv.slice(2)
const COUNT = Number(count)
const CAPACITY = Number(capacity)
const HEADERS = JSON.parse(process.env.STREAM_HEADERS ?? '{}') as Record<string, string>
/** The events the case times carry `"payload":{"n":…`; the others are only counted. */
const N_PATTERN = /"payload":\{"n":(\d+)/

type Subscriber = {
  last: number
  deliveries: number
  /** Ids jumped over (a gap), and ids at or below the last one (a duplicate, or out of order). */
  skipped: number
  behind: number
  resumes: number
  errors: number
  ready: boolean
  ended: boolean
  abort: AbortController
}

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000
/** Per subscriber, per `n`: when it arrived (µs on this process's clock), NaN until it does. */
const received = new Float64Array(COUNT * CAPACITY).fill(Number.NaN)
let repeatedN = 0
let stopping = false
const subscribers: Subscriber[] = Array.from({ length: COUNT }, () => ({ last: 0, deliveries: 0, skipped: 0, behind: 0, resumes: 0, errors: 0, ready: false, ended: false, abort: new AbortController() }))

function onFrame(sub: Subscriber, index: number, frame: string, at: number) {
  if (frame.startsWith('event: status')) sub.ready = true
  else if (frame.startsWith('event: end')) sub.ended = true
  else if (frame.startsWith('id: ')) {
    const id = Number(frame.slice(4, frame.indexOf('\n')))
    if (id <= sub.last) sub.behind++
    else {
      sub.skipped += id - sub.last - 1
      sub.last = id
    }
    sub.deliveries++
    const n = N_PATTERN.exec(frame)?.[1]
    if (n !== undefined && Number(n) < CAPACITY) {
      const slot = index * CAPACITY + Number(n)
      if (Number.isNaN(received[slot]!)) received[slot] = at
      else repeatedN++
    }
  }
}

async function follow(sub: Subscriber, index: number) {
  while (!sub.ended && !stopping) {
    try {
      const resume: Record<string, string> = sub.last ? { 'last-event-id': String(sub.last) } : {}
      const reply = await fetch(url, { headers: { ...HEADERS, ...resume }, signal: sub.abort.signal })
      if (reply.status !== 200) throw new Error(`status ${reply.status}`)
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of reply.body!) {
        // One time for the chunk: its frames arrived together.
        const at = nowUs()
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          onFrame(sub, index, buffer.slice(0, end), at)
          buffer = buffer.slice(end + 2)
        }
      }
    } catch {
      if (stopping) return
      sub.errors++
      await Bun.sleep(50)
    }
    if (!sub.ended && !stopping) sub.resumes++
  }
}

const answer = (value: unknown) => console.log(JSON.stringify(value))
const sum = (pick: (s: Subscriber) => number) => subscribers.reduce((total, s) => total + pick(s), 0)
const until = async (done: () => boolean, ms: number) => {
  const began = performance.now()
  while (!done() && performance.now() - began < ms) await Bun.sleep(5)
  return performance.now() - began
}

const began = performance.now()
const following = subscribers.map(follow)
await until(() => subscribers.every((s) => s.ready), 30_000)
answer({ ready: subscribers.filter((s) => s.ready).length, ms: performance.now() - began })

for await (const line of console) {
  const [command, a = '0', b = '0'] = line.trim().split(' ')
  if (command === 'ping') answer({ now: nowUs() })
  else if (command === 'wait') {
    // Until every subscriber has id `a` (or its stream ended), at most `b` ms.
    const ms = await until(() => subscribers.every((s) => s.last >= Number(a) || s.ended), Number(b))
    answer({ behind: subscribers.filter((s) => s.last < Number(a) && !s.ended).length, ms })
  } else if (command === 'summary') {
    await Bun.write(a, received)
    const lasts = subscribers.map((s) => s.last)
    answer({
      deliveries: sum((s) => s.deliveries),
      minLast: Math.min(...lasts),
      maxLast: Math.max(...lasts),
      skipped: sum((s) => s.skipped),
      behind: sum((s) => s.behind),
      repeatedN,
      resumes: sum((s) => s.resumes),
      errors: sum((s) => s.errors),
      ended: subscribers.filter((s) => s.ended).length,
    })
  } else if (command === 'close') {
    // The server ends the streams (after a terminal status); whatever is still open after `a` ms is cut.
    const ms = await until(() => subscribers.every((s) => s.ended), Number(a))
    const ended = subscribers.filter((s) => s.ended).length
    stopping = true
    for (const s of subscribers) s.abort.abort()
    await Promise.all(following)
    answer({ ended, ms })
    break
  }
}
process.exit(0)
