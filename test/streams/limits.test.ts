// Streams per user are bounded (docs/streams.md): one tenant cannot hold every socket of the server.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { STREAMS_PER_USER_MAX } from '../../src/http/streams'
import { createHarness, createTenant, type Harness } from '../helpers'
import { eventStream, listStream, type Stream } from './kit'

let h: Harness
beforeEach(() => {
  h = createHarness()
})
afterEach(() => h.close())

test(`a user with ${STREAMS_PER_USER_MAX} streams open gets 429 for one more; another user does not; closing one admits one`, async () => {
  const greedy = await createTenant(h)
  const other = await createTenant(h)
  const dep = await greedy.createDeployment('live')
  const open: Stream[] = []
  for (let i = 0; i < STREAMS_PER_USER_MAX; i++) open.push(await (i % 2 ? listStream(h, greedy.asKey) : eventStream(h, dep, greedy.asKey)))
  for (const s of open) expect(s.response.status).toBe(200)
  const refused = await h.request('GET', '/api/deployments/stream', { headers: greedy.asKey })
  expect(refused.status).toBe(429)
  expect(refused.body).toEqual({ error: expect.stringContaining('streams'), code: 'RATE_LIMITED' })
  expect(refused.headers.get('retry-after')).toBe('5')
  const theirs = await listStream(h, other.asKey)
  expect(theirs.response.status).toBe(200)
  theirs.close()
  open.pop()!.close()
  // The stream closes when its client goes; then there is room for one more.
  for (let i = 0; i < 100 && h.app.services.streams.openCount > STREAMS_PER_USER_MAX - 1; i++) await Bun.sleep(10)
  const again = await eventStream(h, dep, greedy.asKey)
  expect(again.response.status).toBe(200)
  again.close()
  for (const s of open) s.close()
})
