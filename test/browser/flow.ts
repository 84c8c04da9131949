// A scripted agent for the browser suite: it speaks the agent protocol over HTTP with a key the
// operator made in the console, as the stock rotastellar-agent would.

export function scriptedAgent(url: string, key: string, agentId: string) {
  const headers = { 'content-type': 'application/json', 'x-api-key': key, 'x-agent-id': agentId }
  const post = async (path: string, body: unknown) => {
    const reply = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${await reply.text()}`)
    return reply.status === 204 ? null : reply.json()
  }
  let second = 0
  return {
    register: (satelliteId: string) => post('/api/agent/register', { agent_id: agentId, satellite_id: satelliteId, satellite_name: 'ISS', agent_version: '0.4.2' }),
    telemetry: (battery: number, temperature: number) => post('/api/agent/telemetry', { status: 'executing', battery_percent: battery, temperature_c: temperature }),
    async poll(): Promise<{ deployment_id: string; plan_data: unknown } | null> {
      const reply = await fetch(`${url}/api/agent/workloads`, { headers })
      if (reply.status === 204) return null
      if (reply.status !== 200) throw new Error(`poll: ${reply.status} ${await reply.text()}`)
      return reply.json()
    },
    report(deploymentId: string, type: string, stepId?: string, payload: Record<string, unknown> = {}) {
      second += 10
      const timestamp = new Date(Date.UTC(2026, 2, 7, 12, 0, 0) + second * 1000).toISOString()
      return post(`/api/deployments/${deploymentId}/events`, { type, timestamp, job_id: `job-${deploymentId}`, step_id: stepId, payload })
    },
  }
}
