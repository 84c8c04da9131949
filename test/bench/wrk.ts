// Load from Debian's wrk (a C load generator: autocannon, on this machine, is slower than the ceiling
// server it measures). A Lua script makes every request a distinct event — each wrk thread its own job id,
// mission timestamps 1 ms apart — or a batch of `batch` such events. Returns the 2xx rate and latencies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const wrkAvailable = () => Bun.which('wrk') !== null

export type WrkResult = { perSecond: number; p50: number; p99: number; non2xx: number; errors: number }

const script = (batch: number, headers: Record<string, string>) => `
local counter = 0
local threads = 0
local base = 1772884800 -- 2026-03-07T12:00:00Z
function setup(thread)
  threads = threads + 1
  thread:set("job", "bench-" .. threads .. "-" .. math.random(1, 1e9))
end
local function event()
  counter = counter + 1
  local ts = os.date("!%Y-%m-%dT%H:%M:%S", base + math.floor(counter / 1000)) .. string.format(".%03dZ", counter % 1000)
  return string.format('{"type":"step.progress","timestamp":"%s","job_id":"%s","step_id":"inference","payload":{"n":%d,"percent":50,"note":"steady state"}}', ts, job, counter)
end
${Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`).join('\n')}
wrk.method = "POST"
function request()
  if ${batch} == 0 then return wrk.format(nil, nil, nil, event()) end
  local events = {}
  for i = 1, ${batch} do events[i] = event() end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(events, ",") .. ']}')
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.status and 0 or 0, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`

/** `batch` 0: one event per request. */
export async function wrk(url: string, options: { headers?: Record<string, string>; seconds: number; connections: number; threads?: number; batch?: number }): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gc-wrk-'))
  try {
    const file = join(dir, 'events.lua')
    writeFileSync(file, script(options.batch ?? 0, { 'content-type': 'application/json', ...options.headers }))
    const proc = Bun.spawn(['wrk', '-t', String(options.threads ?? 2), '-c', String(options.connections), '-d', `${options.seconds}s`, '-s', file, url], { stdout: 'pipe', stderr: 'pipe' })
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    if ((await proc.exited) !== 0) throw new Error(`wrk failed: ${err}${out}`)
    const result = /RESULT (\d+) (\d+) (\d+) (\d+) \d+ (\d+)/.exec(out)
    if (!result) throw new Error(`wrk printed no result: ${out}`)
    const [requests, micros, p50, p99, errors] = result.slice(1).map(Number) as [number, number, number, number, number]
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
    return { perSecond: (requests - non2xx) / (micros / 1e6), p50: p50 / 1000, p99: p99 / 1000, non2xx, errors }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
