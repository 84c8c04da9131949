// What the stream suites share: opening the two streams of docs/api.md §3.3 as a tenant, reporting events, and
// checking what a client received against the lists it could have read instead.
import { expect } from 'bun:test'
import { event, type Harness, type Tenant } from '../helpers'
import { openStream, type SseMessage } from './sse'

export type Stream = Awaited<ReturnType<typeof openStream>>

export const eventStream = (h: Harness, id: string, headers: Record<string, string>, query = '') =>
  openStream(h.app, `/api/deployments/${id}/events/stream${query}`, headers)
export const listStream = (h: Harness, headers: Record<string, string>, query = '') => openStream(h.app, `/api/deployments/stream${query}`, headers)

/** A step.progress event told apart by `i` (its payload), `seconds` after 12:00. */
export const progress = (i: number, seconds = 0, extra: Record<string, unknown> = {}) =>
  event('step.progress', new Date(Date.parse('2026-03-07T12:00:00Z') + seconds * 1000).toISOString(), { payload: { i }, ...extra })

export const report = (h: Harness, t: Tenant, id: string, body: unknown) => h.request('POST', `/api/deployments/${id}/events`, { body, headers: t.asAgent })
export const batch = (h: Harness, t: Tenant, id: string, events: unknown[]) => h.request('POST', `/api/deployments/${id}/events/batch`, { body: { events }, headers: t.asAgent })

/** Every event of the deployment as GET /api/deployments/{id}/events lists it, by id. */
export async function listedById(h: Harness, t: Tenant, id: string): Promise<Map<string, unknown>> {
  const items = new Map<string, unknown>()
  for (let offset = 0; ; offset += 500) {
    const page = await h.request('GET', `/api/deployments/${id}/events?offset=${offset}&limit=500`, { headers: t.asKey })
    expect(page.status).toBe(200)
    for (const item of page.body.events) items.set(item.id, item)
    if (page.body.events.length < 500) return items
  }
}

export const isEvent = (m: SseMessage) => m.event === undefined && m.comment === undefined
export const eventsOf = (messages: SseMessage[]) => messages.filter(isEvent)
export const statusOf = (m: SseMessage | null | undefined) => (m?.event === 'status' ? JSON.parse(m.data!).status : undefined)
export const payloadI = (m: SseMessage) => JSON.parse(m.data!).payload.i

/** Event messages: each an `id:` that is its arrival number, from `from` on, one after another. */
export function expectArrivals(messages: SseMessage[], from: number, to: number) {
  const ids = eventsOf(messages).map((m) => Number(m.id))
  expect(ids).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i))
}

/** Each event message's data is exactly the list item of that event (as parsed JSON). */
export async function expectListItems(h: Harness, t: Tenant, id: string, messages: SseMessage[]) {
  const listed = await listedById(h, t, id)
  for (const m of eventsOf(messages)) {
    const item = JSON.parse(m.data!)
    expect(item).toEqual(listed.get(item.id) as object)
  }
}

export const deploymentOf = async (h: Harness, t: Tenant, id: string) => (await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body

/** Resolves when `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 3000, what = 'condition') {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`)
    await Bun.sleep(5)
  }
}
