// Agent ids are the agent's own (docs/api.md §4), within what a URL can name (docs/lists.md "Agents").
import { expect, test } from 'bun:test'
import { createTenant, harnessPerTest, type Harness } from '../helpers'

let h: Harness
harnessPerTest((harness) => (h = harness))

test('"." and ".." are refused as X-Agent-ID (400): no URL could name such an agent', async () => {
  const t = await createTenant(h)
  for (const id of ['.', '..']) {
    for (const [method, path, body] of [
      ['POST', '/api/agent/register', { agent_id: id }],
      ['POST', '/api/agent/telemetry', { status: 'idle' }],
      ['GET', '/api/agent/workloads', undefined],
    ] as const) {
      const reply = await h.request(method, path, { body, headers: { ...t.asKey, 'x-agent-id': id } })
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: 'X-Agent-ID must not be "." or ".."', code: 'BAD_REQUEST' })
    }
  }
  expect((await h.request('GET', '/api/agents', { headers: t.asKey })).body.agents).toEqual([])
  // Dots among other characters are ids like any other.
  const dotted = await h.request('POST', '/api/agent/register', { body: { agent_id: '...' }, headers: { ...t.asKey, 'x-agent-id': '...' } })
  expect(dotted.status).toBe(201)
  expect((await h.request('GET', '/api/agents/...', { headers: t.asKey })).status).toBe(200)
})
