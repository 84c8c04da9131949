// How a live event stream hands its frames to the socket (src/http/streams.ts): what one wake-up took
// goes out as one chunk, its frames whole and in arrival order.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
beforeEach(async () => {
  h = createHarness({ clock: fixedClock('2026-03-07T12:00:00Z') })
  t = await createTenant(h)
})
afterEach(() => h.close())

const decoder = new TextDecoder()
const text = (value: Uint8Array | string | undefined) => (typeof value === 'string' ? value : decoder.decode(value))

test('a batch stored in one commit reaches an open stream as one chunk holding its frames in order', async () => {
  const deployment = await t.createDeployment('live')
  const client = new AbortController()
  const response = await h.app.handle(new Request(`http://localhost/api/deployments/${deployment}/events/stream`, { headers: t.asKey, signal: client.signal }))
  const reader = response.body!.getReader()
  expect(text((await reader.read()).value)).toStartWith('event: status\n')

  const events = ['01', '02', '03'].map((s) => event('step.progress', `2026-03-07T12:00:${s}Z`))
  expect((await h.request('POST', `/api/deployments/${deployment}/events/batch`, { body: { events }, headers: t.asAgent })).status).toBe(200)
  const chunk = text((await reader.read()).value)
  expect(chunk.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2', 'id: 3'])
  expect(chunk.split('\n\n')).toHaveLength(4)
  expect(chunk).toEndWith('\n\n')
  client.abort()
  void reader.cancel().catch(() => {})
})
