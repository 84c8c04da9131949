// The benchmark's "hostile input" section: for each hostile request, the longest event-loop stall it causes
// in the server (a second client polls GET /healthz about every millisecond meanwhile; the slowest answer
// counts), beside what a plain JSON.parse of the same body costs here, as stall / (2 × parse + 20 ms).
// It prints figures; it asserts nothing.

type RecordFigure = (what: string, figure: string, note?: string) => void
type Headers_ = Record<string, string>
export type HostileDeps = {
  url: string
  asKey: Headers_
  agentHeaders: Headers_
  missionId: string
  deployment(): Promise<string>
  record: RecordFigure
}

const BASE_MS = Date.parse('2026-03-07T12:00:00Z')

/** The slowest /healthz answer while `run` is in flight, and what `run` answered. */
async function stallDuring(url: string, run: () => Promise<Response>) {
  let done = false
  let stall = 0
  let polls = 0
  const poller = (async () => {
    while (!done) {
      const began = performance.now()
      await (await fetch(`${url}/healthz`)).arrayBuffer()
      stall = Math.max(stall, performance.now() - began)
      polls++
      await Bun.sleep(1)
    }
  })()
  await Bun.sleep(5) // the poller is connected and answering before the request starts
  const began = performance.now()
  const response = await run()
  const text = await response.text()
  const ms = performance.now() - began
  done = true
  await poller
  return { stall, polls, ms, status: response.status, text }
}

/** The median of three plain JSON.parse runs of `text` in this process. */
function parseMs(text: string): number {
  const times = [0, 1, 2].map(() => {
    const began = performance.now()
    try {
      JSON.parse(text)
    } catch {
      // a body too deep or malformed for JSON.parse still took this long to refuse
    }
    return performance.now() - began
  })
  return times.sort((a, b) => a - b)[1]!
}

function report(record: RecordFigure, what: string, result: { stall: number; polls: number; ms: number; status: number }, parse: number) {
  const ratio = result.stall / (2 * parse + 20)
  record(`hostile: ${what}`, `stall ${result.stall.toFixed(1)} ms, ratio ${ratio.toFixed(2)}`, `answered ${result.status} in ${result.ms.toFixed(0)} ms; JSON.parse ${parse.toFixed(1)} ms; ${result.polls} polls; target ratio ≤ 1`)
}

const post = (url: string, path: string, headers: Headers_, body: string) => () =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

export async function hostileInput({ url, asKey, agentHeaders, missionId, deployment, record }: HostileDeps) {
  console.log('hostile input (longest /healthz answer while the request is served, beside a plain JSON.parse of its body)')

  // (a) 14.5 MiB: 500 events of ~29 KiB, one of them holding the only number that needs exact handling.
  {
    const blob = 'x'.repeat(29_600)
    const events = Array.from({ length: 500 }, (_, i) => ({ type: 'step.progress', timestamp: new Date(BASE_MS + i).toISOString(), job_id: 'hostile-a', payload: i === 250 ? { blob, n: 0 } : { blob } }))
    const body = JSON.stringify({ events }).replace('"n":0', '"n":1e-7')
    const result = await stallDuring(url, post(url, `/api/deployments/${await deployment()}/events/batch`, agentHeaders, body))
    report(record, `(a) batch of 500 events, ${(body.length / 2 ** 20).toFixed(1)} MiB, one 1e-7`, result, parseMs(body))
  }

  // (b) Many events at one instant (same type, job and payload size), then a batch of 500 more at it.
  {
    const dep = await deployment()
    const at = new Date(BASE_MS).toISOString()
    const batchOf = (from: number) => JSON.stringify({ events: Array.from({ length: 500 }, (_, i) => ({ type: 'step.progress', timestamp: at, job_id: 'hostile-b', payload: { n: String(from + i).padStart(8, '0') } })) })
    for (let from = 0; from < 2000; from += 500) {
      const reply = await post(url, `/api/deployments/${dep}/events/batch`, agentHeaders, batchOf(from))()
      await reply.arrayBuffer()
    }
    const body = batchOf(2000)
    const result = await stallDuring(url, post(url, `/api/deployments/${dep}/events/batch`, agentHeaders, body))
    report(record, '(b) batch of 500 at an instant already holding 2 000 events', result, parseMs(body))
  }

  // (c) A report whose payload is nested 100 000 deep.
  {
    const depth = 100_000
    const body = `{"type":"step.progress","timestamp":"2026-03-07T12:00:00Z","job_id":"hostile-c","payload":${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}}`
    const result = await stallDuring(url, post(url, `/api/deployments/${await deployment()}/events`, agentHeaders, body))
    report(record, '(c) report with a payload nested 100 000 deep', result, parseMs(body))
  }

  // (d) plan_data nested 15 000 deep holding 0.0000001, then a simulated deployment of the plan if it is taken.
  {
    const depth = 15_000
    const body = `{"mission_id":"${missionId}","label":"hostile","satellite_id":"hostile-d","plan_data":{"events":[{"type":"job.accepted","timestamp_s":0}],"deep":${'['.repeat(depth)}0.0000001${']'.repeat(depth)}}}`
    const plan = await stallDuring(url, post(url, '/api/plans', asKey, body))
    report(record, '(d) plan whose plan_data is nested 15 000 deep with 0.0000001', plan, parseMs(body))
    if (plan.status === 201) {
      const planId = (JSON.parse(plan.text) as { id: string }).id
      const deploy = JSON.stringify({ plan_id: planId, mode: 'simulated', speed_multiplier: 10000 })
      const result = await stallDuring(url, async () => {
        const reply = await post(url, '/api/deployments', asKey, deploy)()
        await Bun.sleep(500) // the replay plays the plan meanwhile
        return reply
      })
      report(record, '(d) simulated deployment of that plan, and 0.5 s of its replay', result, parseMs(body))
    }
  }

  // (e) Telemetry carrying a 900 KB junk field from 100 agents, then the fleet list.
  {
    const junk = 'j'.repeat(900_000)
    let worst = { stall: 0, polls: 0, ms: 0, status: 0 }
    let body = ''
    for (let i = 0; i < 100; i++) {
      body = JSON.stringify({ status: 'idle', cpu_percent: 12.5, junk })
      const result = await stallDuring(url, post(url, '/api/agent/telemetry', { ...agentHeaders, 'x-agent-id': `sat-hostile-${i}` }, body))
      if (result.stall > worst.stall) worst = result
    }
    report(record, '(e) telemetry with a 900 KB junk field, worst of 100 agents', worst, parseMs(body))
    const list = await stallDuring(url, () => fetch(`${url}/api/agents`, { headers: asKey }))
    report(record, `(e) GET /api/agents after them (${(list.text.length / 2 ** 20).toFixed(1)} MiB answer)`, list, parseMs(list.text))
  }

  // (f) Numbers that need exact handling, as many as a body may hold, under a 100 KiB key (the scan's cost
  // once grew with the key for every such number: an 800 KB report held the loop 56 s), and a full
  // batch of 1e-399 (each kept as 400 digits).
  {
    const body = `{"type":"step.progress","timestamp":"2026-03-07T12:00:00Z","job_id":"hostile-f","x":{"${'k'.repeat(100 * 1024)}":[${Array(5_000).fill('1e400').join(',')}]}}`
    const result = await stallDuring(url, post(url, `/api/deployments/${await deployment()}/events`, agentHeaders, body))
    report(record, '(f) report with 5 000 exact numbers under a 100 KiB key', result, parseMs(body))
    const numbers = Array(10).fill('1e-399').join(',')
    const batch = `{"events":[${Array.from({ length: 500 }, (_, i) => `{"type":"step.progress","timestamp":"${new Date(BASE_MS + i).toISOString()}","job_id":"hostile-f","payload":{"n":[${numbers}]}}`).join(',')}]}`
    const many = await stallDuring(url, post(url, `/api/deployments/${await deployment()}/events/batch`, agentHeaders, batch))
    report(record, '(f) batch of 500 events holding 5 000 numbers 1e-399', many, parseMs(batch))
  }
}
