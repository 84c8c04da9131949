// A scripted agent that behaves like the stock rotastellar-agent 0.1.0 `run` mode (reference §5):
// the same headers, register once (failure only logged), poll, on a workload replay its events paced by
// `(ts[i] - ts[i-1]) / speed`, POST each one (any 2xx is success, failures only logged), then poll again.
// URLs are built as the agent builds them: `${apiUrl}/api/...`, so a trailing slash gives `//api/...`.

export type AgentLog = { registered: boolean; workloads: string[]; reports: Array<{ status: number; type: string }>; errors: string[] }

type WorkloadSpec = {
  plan_id: string
  deployment_id: string
  satellite_id: string
  plan_data: unknown
  events: Array<{ type: string; timestamp: string; job_id: string; step_id?: string; payload: unknown }>
}

export async function runStockAgent(options: {
  apiUrl: string
  apiKey: string
  agentId: string
  satelliteId?: string
  speed?: number
  pollIntervalMs?: number
  /** Stop after this many workloads, at the next empty poll. */
  workloads: number
  deadlineMs?: number
}): Promise<AgentLog> {
  const { apiUrl, apiKey, agentId, speed = 100, pollIntervalMs = 50 } = options
  const headers = { 'X-API-Key': apiKey, 'X-Agent-ID': agentId, 'User-Agent': 'rotastellar-agent/0.1.0' }
  const post = (path: string, body: unknown) =>
    fetch(`${apiUrl}${path}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  const log: AgentLog = { registered: false, workloads: [], reports: [], errors: [] }
  const deadline = Date.now() + (options.deadlineMs ?? 30_000)

  const registration: Record<string, unknown> = { agent_id: agentId, agent_version: '0.1.0' }
  if (options.satelliteId) registration.satellite_id = options.satelliteId
  const reg = await post('/api/agent/register', registration)
  if (reg.status >= 200 && reg.status < 300) log.registered = true
  else log.errors.push(`register: ${reg.status} ${await reg.text()}`)

  while (Date.now() < deadline) {
    const reply = await fetch(`${apiUrl}/api/agent/workloads`, { headers })
    if (reply.status === 204) {
      await reply.arrayBuffer()
      if (log.workloads.length >= options.workloads) return log
      await Bun.sleep(pollIntervalMs)
      continue
    }
    if (reply.status < 200 || reply.status >= 300) {
      log.errors.push(`poll: ${reply.status} ${await reply.text()}`)
      await Bun.sleep(pollIntervalMs)
      continue
    }
    const spec = parseWorkload(await reply.text())
    if (!spec) {
      log.errors.push('Poll failed, will retry: body is not a WorkloadSpec')
      await Bun.sleep(pollIntervalMs)
      continue
    }
    log.workloads.push(spec.deployment_id)
    let previous: number | null = null
    for (const event of spec.events) {
      const at = Date.parse(event.timestamp)
      if (previous !== null && !Number.isNaN(at)) {
        const delay = Math.max(0, at - previous) / speed
        if (delay > 1) await Bun.sleep(delay)
      }
      if (!Number.isNaN(at)) previous = at
      const body: Record<string, unknown> = { type: event.type, timestamp: event.timestamp, job_id: event.job_id, payload: event.payload }
      if (event.step_id !== undefined) body.step_id = event.step_id
      const sent = await post(`/api/deployments/${spec.deployment_id}/events`, body)
      log.reports.push({ status: sent.status, type: event.type })
      if (sent.status < 200 || sent.status >= 300) log.errors.push(`report ${event.type}: ${sent.status} ${await sent.text()}`)
      else await sent.arrayBuffer()
    }
    await Bun.sleep(pollIntervalMs)
  }
  log.errors.push('deadline passed')
  return log
}

/** serde's view of a WorkloadSpec: every field required; each event needs type, timestamp, job_id, payload. */
function parseWorkload(text: string): WorkloadSpec | null {
  let value: any
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  const strings = ['plan_id', 'deployment_id', 'satellite_id']
  if (!value || typeof value !== 'object' || strings.some((k) => typeof value[k] !== 'string') || !('plan_data' in value) || !Array.isArray(value.events))
    return null
  for (const e of value.events) {
    if (typeof e?.type !== 'string' || typeof e.timestamp !== 'string' || typeof e.job_id !== 'string' || !('payload' in e)) return null
    if (e.step_id !== undefined && e.step_id !== null && typeof e.step_id !== 'string') return null
  }
  return value as WorkloadSpec
}
