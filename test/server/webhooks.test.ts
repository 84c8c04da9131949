// Webhooks against the real server process (docs/api.md §1 "Webhooks"): a target that never answers holds
// up neither the reports of its own user nor another user's deliveries, and the server still stops at once.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../helpers'
import { setUpOperator, startServer, type Running } from './process'

const dir = tempDir()
const db = join(dir.path, 'gc.db')
let server: Running
/** Requests to /hang are never answered (held until the sender gives up); /ok answers 204. */
const hang = { received: 0, open: 0, maxOpen: 0 }
const delivered: { headers: Headers; body: string }[] = []
let gotDelivery: () => void
const deliveryArrived = new Promise<void>((resolve) => (gotDelivery = resolve))
let firstHang: () => void
const hangArrived = new Promise<void>((resolve) => (firstHang = resolve))
const target = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const body = await request.text()
    if (new URL(request.url).pathname === '/ok') {
      delivered.push({ headers: request.headers, body })
      gotDelivery()
      return new Response(null, { status: 204 })
    }
    hang.received++
    hang.open++
    hang.maxOpen = Math.max(hang.maxOpen, hang.open)
    firstHang()
    await new Promise((resolve) => request.signal.addEventListener('abort', resolve))
    hang.open--
    return new Response('too late')
  },
})
const targetUrl = `http://127.0.0.1:${target.port}`

beforeAll(async () => {
  server = await startServer({ db })
})
afterAll(async () => {
  await server?.stop()
  target.stop(true)
  dir.remove()
})

const post = async (path: string, body: unknown, headers: Record<string, string>) => {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: r.status, body: (await r.json().catch(() => null)) as any }
}
const report = (deploymentId: string, headers: Record<string, string>, type: string, i = 0) =>
  post(`/api/deployments/${deploymentId}/events`, { type, timestamp: '2026-03-07T12:00:00Z', job_id: 'j', payload: { i } }, headers)

test('a target that never answers slows neither reports nor another user’s webhook; shutdown does not wait for it', async () => {
  const op = await setUpOperator(server.url)
  const stuck = await post('/api/webhooks', { url: `${targetUrl}/hang`, events: ['deployment.completed'] }, op.asKey)
  expect(stuck.status).toBe(201)

  // Another user, with a webhook to a target that answers.
  const other = { email: 'other@station.test', password: 'another long password' }
  expect((await post('/api/users', other, { cookie: op.cookie })).status).toBe(201)
  const otherOp = await setUpOperator(server.url, other)
  const healthy = await post('/api/webhooks', { url: `${targetUrl}/ok`, events: ['deployment.completed'] }, otherOp.asKey)
  expect(healthy.status).toBe(201)

  // Five deployments complete: five deliveries for the stuck target, sent one at a time.
  const plan = op.planId
  const completed: string[] = []
  for (let i = 0; i < 5; i++) {
    const dep = await post('/api/deployments', { plan_id: plan, mode: 'live' }, op.asKey)
    expect((await report(dep.body.id, op.asAgent, 'job.completed')).status).toBe(201)
    completed.push(dep.body.id)
  }
  await hangArrived

  // While a delivery hangs: 300 reports, 50 at a time, every one acknowledged.
  const statuses: number[] = []
  for (let round = 0; round < 6; round++) {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => report(op.deploymentId, op.asAgent, 'step.progress', round * 50 + i)))
    statuses.push(...replies.map((r) => r.status))
  }
  expect(statuses).toEqual(Array(300).fill(201))

  // The other user's deployment completes; its delivery arrives, signed, while the stuck one still waits.
  const dep = await post('/api/deployments', { plan_id: otherOp.planId, mode: 'live' }, otherOp.asKey)
  expect((await report(dep.body.id, otherOp.asAgent, 'job.completed')).status).toBe(201)
  await deliveryArrived
  const [seen] = delivered
  const timestamp = seen!.headers.get('x-ground-console-timestamp')!
  expect(seen!.headers.get('x-ground-console-signature')).toBe(`sha256=${createHmac('sha256', healthy.body.secret).update(`${timestamp}.${seen!.body}`).digest('hex')}`)
  expect(JSON.parse(seen!.body)).toMatchObject({ event: 'deployment.completed', data: { deployment: { id: dep.body.id, status: 'completed' } } })

  // Never more than one request at a time to the stuck webhook; its log shows the five, none delivered.
  expect(hang.maxOpen).toBe(1)
  const log = (await (await fetch(`${server.url}/api/webhooks/${stuck.body.id}/deliveries`, { headers: op.asKey })).json()) as { deliveries: { state: string }[] }
  expect(log.deliveries).toHaveLength(5)
  expect(log.deliveries.every((d) => d.state === 'pending')).toBe(true)

  // SIGTERM with a delivery in flight: the server stops without waiting out the target.
  await server.stop()
  expect(server.proc.exitCode).toBe(0)
  expect(server.stderr()).toContain('"msg":"stopped"')
}, 60_000)
