import { afterEach, beforeEach, expect, test } from 'bun:test'
import { STREAMS_PER_USER_MAX } from '../../src/http/streams'
import { createHarness, createTenant, type Harness, type Tenant } from '../helpers'

let h: Harness
let t: Tenant
let dep: string
beforeEach(async () => {
  h = createHarness()
  t = await createTenant(h)
  dep = await t.createDeployment('live')
})
afterEach(() => h.close())

test('concurrent opens past the per-user bound', async () => {
  const opens = await Promise.all(Array.from({ length: STREAMS_PER_USER_MAX + 200 }, () => h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/stream`, { headers: t.asKey }))))
  const ok = opens.filter((r) => r.status === 200).length
  await Bun.sleep(200)
  for (const r of opens) r.body?.cancel().catch(() => {})
  expect(h.app.services.streams.openCount).toBeLessThanOrEqual(STREAMS_PER_USER_MAX)
})
