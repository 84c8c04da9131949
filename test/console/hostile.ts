// Stored values that would run script if a page did not escape them: seeded everywhere a page shows
// text from the database (missions, plans, plan events, agents, events, keys, users), through the API.

export const HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)'] as const
/** Agent ids and X-Agent-ID are visible ASCII without spaces. */
export const HOSTILE_IDS = ['<script>alert(1)</script>', '"><img/src=x/onerror=alert(1)>', 'javascript:alert(1)'] as const

export type Call = (method: string, path: string, body: unknown, headers: Record<string, string>) => Promise<any>

export type HostileWorld = { missionId: string; planId: string; deploymentId: string; agentIds: string[]; webhookId: string }

/**
 * Seeds the hostile strings as `cookie` (an admin's session) and `key` (its API key) would store them.
 * Returns the ids of what it made.
 */
export async function seedHostile(call: Call, cookie: string, key: string): Promise<HostileWorld> {
  const asKey = { 'x-api-key': key }
  const [a, b, c] = HOSTILE
  const mission = await call('POST', '/api/missions', { name: a, description: `${b} ${c}` }, asKey)
  await call('POST', '/api/missions', { name: c, description: a }, asKey)
  const plan = await call(
    'POST',
    '/api/plans',
    {
      mission_id: mission.id,
      label: b,
      satellite_id: a,
      satellite_name: c,
      preset: b,
      plan_data: {
        events: [
          { type: 'job.accepted', timestamp_s: 0, message: a },
          { type: 'placement.decided', timestamp_s: 0, step_id: a, location: b, message: c },
          { type: 'step.started', timestamp_s: 1, step_id: a, location: 'onboard', message: b },
          { type: 'transfer.pass_started', timestamp_s: 2, step_id: c, ground_station: a, station_name: b },
          { type: 'step.completed', timestamp_s: 3, step_id: a, message: c },
        ],
      },
    },
    asKey,
  )
  const deployment = await call('POST', '/api/deployments', { plan_id: plan.id, mode: 'live' }, asKey)
  for (const agentId of HOSTILE_IDS) {
    const asAgent = { ...asKey, 'x-agent-id': agentId }
    await call('POST', '/api/agent/register', { agent_id: agentId, satellite_id: a, satellite_name: b, agent_version: c }, asAgent)
    await call('POST', '/api/agent/telemetry', { status: 'idle', battery_percent: 50, temperature_c: 20 }, asAgent)
  }
  const asAgent = { ...asKey, 'x-agent-id': HOSTILE_IDS[0] }
  const report = (type: string, second: number, stepId: string | undefined, payload: unknown) =>
    call('POST', `/api/deployments/${deployment.id}/events`, { type, timestamp: `2026-03-07T12:00:0${second}Z`, job_id: b, step_id: stepId, payload }, asAgent)
  await report('job.accepted', 0, undefined, { message: a })
  await report('placement.decided', 1, a, { location: b, reason: c })
  await report('step.started', 2, a, { location: 'onboard', message: b, [a]: c })
  await report('transfer.pass_started', 3, c, { ground_station: a, station_name: b })
  await report('step.progress', 4, a, { percent: 50, note: [a, b, c] })
  await report('transfer.pass_completed', 5, c, { ground_station: a })
  await report('step.completed', 6, a, { location: c, message: a })
  await call('POST', '/api/keys', { name: a }, { cookie })
  await call('POST', '/api/keys', { name: b }, { cookie })
  await call('POST', '/api/users', { email: 'hostile@example.test', password: 'long enough password', name: a }, { cookie })
  // Webhook URLs hold what a URL may (no spaces): markup in the path and the query; a ping fills its log.
  const webhook = await call('POST', '/api/webhooks', { url: `http://127.0.0.1:1/${a}?q=${HOSTILE_IDS[1]}`, events: ['agent.lost'] }, { cookie })
  await call('POST', `/api/webhooks/${webhook.id}/ping`, undefined, { cookie })
  return { missionId: mission.id, planId: plan.id, deploymentId: deployment.id, agentIds: [...HOSTILE_IDS], webhookId: webhook.id }
}

/**
 * What must never appear in a page that shows the hostile values: each would be live markup. (An escaped
 * `<` is enough to make text of a tag: Preact leaves `>` as it is in text, which is inert.)
 */
export const LIVE_MARKUP = [/<script>alert/i, /<img/i, /(href|src|action|formaction)\s*=\s*["']?\s*javascript:/i]
