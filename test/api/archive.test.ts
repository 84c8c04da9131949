// Archiving (docs/api.md §2 and §5 "Archiving", docs/lists.md "Archived"): terminal deployments and plans
// are archived and restored; archived ones leave the default lists and come back with `archived=include`
// or `archived=only`, whose cursors are their own; GET by id still answers; the list stream tells.
import { describe, expect, test } from 'bun:test'
import { createTenant, event, harnessPerTest, type FixedClock, type Harness, type Tenant } from '../helpers'
import { listStream } from '../streams/kit'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

const post = (t: Tenant, path: string) => h.request('POST', path, { headers: t.asKey })
const ids = (reply: { body: { deployments?: { id: string }[]; plans?: { id: string }[] } }) => (reply.body.deployments ?? reply.body.plans)!.map((x) => x.id)

async function finished(t: Tenant, how: 'job.completed' | 'job.failed' | 'cancel' = 'job.completed') {
  const id = await t.createDeployment('live')
  if (how === 'cancel') await post(t, `/api/deployments/${id}/cancel`)
  else await h.request('POST', `/api/deployments/${id}/events`, { body: event(how), headers: t.asAgent })
  clock.advance(1)
  return id
}

describe('deployments', () => {
  test('a terminal deployment is archived and restored; the answer is the item with archived_at', async () => {
    const t = await createTenant(h)
    const id = await finished(t)
    const archived = await post(t, `/api/deployments/${id}/archive`)
    expect(archived.status).toBe(200)
    expect(archived.body).toMatchObject({ id, status: 'completed', archived_at: '2026-03-07T12:00:01Z' })
    expect((await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body).toEqual(archived.body)
    // Archiving again keeps the first instant.
    clock.advance(5)
    expect((await post(t, `/api/deployments/${id}/archive`)).body.archived_at).toBe('2026-03-07T12:00:01Z')
    const restored = await post(t, `/api/deployments/${id}/unarchive`)
    expect(restored.status).toBe(200)
    expect(restored.body).toEqual({ ...archived.body, archived_at: null })
    // Restoring one that is not archived answers it as it is.
    expect((await post(t, `/api/deployments/${id}/unarchive`)).body).toEqual(restored.body)
    // Events are kept and still served.
    expect((await h.request('GET', `/api/deployments/${id}/events`, { headers: t.asKey })).body.total).toBe(1)
  })

  test('failed and cancelled ones too; pending, dispatched and running ones are 409; unknown or another user’s 404', async () => {
    const t = await createTenant(h)
    const other = await createTenant(h)
    for (const how of ['job.failed', 'cancel'] as const) expect((await post(t, `/api/deployments/${await finished(t, how)}/archive`)).status).toBe(200)
    const dispatched = await t.createDeployment('live')
    expect((await h.request('GET', '/api/agent/workloads', { headers: t.asAgent })).status).toBe(200)
    const pending = await t.createDeployment('live')
    const simulated = await t.createDeployment('simulated')
    expect((await h.request('GET', `/api/deployments/${dispatched}`, { headers: t.asKey })).body.status).toBe('dispatched')
    for (const id of [dispatched, pending, simulated]) {
      const reply = await post(t, `/api/deployments/${id}/archive`)
      expect(reply.status).toBe(409)
      expect(reply.body.code).toBe('CONFLICT')
      expect((await h.request('GET', `/api/deployments/${id}`, { headers: t.asKey })).body.archived_at).toBeNull()
    }
    const mine = await finished(t)
    for (const path of [`/api/deployments/${mine}/archive`, `/api/deployments/${mine}/unarchive`, '/api/deployments/dep-nope/archive']) {
      const reply = await post(other, path)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ error: 'deployment not found', code: 'NOT_FOUND' })
    }
  })

  test('hidden from the default list, alone with archived=only, among the others with archived=include; a bad value is 400', async () => {
    const t = await createTenant(h)
    const a = await finished(t)
    const b = await finished(t)
    const c = await finished(t)
    await post(t, `/api/deployments/${b}/archive`)
    const list = (query = '') => h.request('GET', `/api/deployments${query}`, { headers: t.asKey })
    expect(ids(await list())).toEqual([c, a])
    expect(ids(await list('?archived=exclude'))).toEqual([c, a])
    expect(ids(await list('?archived=only'))).toEqual([b])
    expect(ids(await list('?archived=include'))).toEqual([c, b, a])
    expect(ids(await list('?archived=include&status=completed&limit=2'))).toEqual([c, b])
    for (const bad of ['yes', '', 'ONLY']) {
      const reply = await list(`?archived=${bad}`)
      expect(reply.status).toBe(400)
      expect(reply.body.error).toContain('archived')
    }
  })

  test('the filter is part of the cursor: pages under one filter never skip or repeat, and a cursor of another is 400', async () => {
    const t = await createTenant(h)
    const all: string[] = []
    for (let i = 0; i < 7; i++) all.unshift(await finished(t))
    for (const [i, id] of all.entries()) if (i % 2 === 0) await post(t, `/api/deployments/${id}/archive`)
    const walk = async (filter: string) => {
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const reply = await h.request('GET', `/api/deployments?limit=2&archived=${filter}${cursor ? `&cursor=${cursor}` : ''}`, { headers: t.asKey })
        expect(reply.status).toBe(200)
        seen.push(...ids(reply))
        cursor = reply.body.next_cursor
      } while (cursor)
      return seen
    }
    expect(await walk('include')).toEqual(all)
    expect(await walk('only')).toEqual(all.filter((_, i) => i % 2 === 0))
    expect(await walk('exclude')).toEqual(all.filter((_, i) => i % 2 === 1))
    const first = await h.request('GET', '/api/deployments?limit=2&archived=only', { headers: t.asKey })
    for (const query of [`cursor=${first.body.next_cursor}&limit=2`, `cursor=${first.body.next_cursor}&limit=2&archived=include`]) {
      const reply = await h.request('GET', `/api/deployments?${query}`, { headers: t.asKey })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toContain('cursor')
    }
  })

  test('the list stream sends the deployment as it is archived and as it is restored', async () => {
    const t = await createTenant(h)
    const id = await finished(t)
    const stream = await listStream(h, t.asKey)
    try {
      await post(t, `/api/deployments/${id}/archive`)
      const [archived] = await stream.messages(1)
      expect(JSON.parse(archived!.data!)).toMatchObject({ id, archived_at: '2026-03-07T12:00:01Z' })
      // Archiving again changes nothing, so sends nothing; the restore is the next message.
      await post(t, `/api/deployments/${id}/archive`)
      await post(t, `/api/deployments/${id}/unarchive`)
      const [restored] = await stream.messages(1)
      expect(JSON.parse(restored!.data!)).toMatchObject({ id, archived_at: null })
      expect(Number(restored!.id)).toBe(Number(archived!.id) + 1)
    } finally {
      await stream.close()
    }
  })
})

describe('plans', () => {
  test('archived and restored; hidden from the default list, by id still; with mission_id too', async () => {
    const t = await createTenant(h)
    clock.advance(1)
    const second = (await h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: 'second', satellite_id: '1', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, headers: t.asKey })).body.id
    const archived = await post(t, `/api/plans/${t.planId}/archive`)
    expect(archived.status).toBe(200)
    expect(archived.body).toMatchObject({ id: t.planId, archived_at: '2026-03-07T12:00:01Z' })
    expect(archived.body.plan_data).toBeUndefined()
    expect((await h.request('GET', `/api/plans/${t.planId}`, { headers: t.asKey })).body).toMatchObject({ archived_at: '2026-03-07T12:00:01Z', plan_data: expect.any(Object) })
    const list = (query = '') => h.request('GET', `/api/plans${query}`, { headers: t.asKey })
    expect(ids(await list())).toEqual([second])
    expect(ids(await list(`?mission_id=${t.missionId}`))).toEqual([second])
    expect(ids(await list('?archived=only'))).toEqual([t.planId])
    expect(ids(await list(`?archived=include&mission_id=${t.missionId}`))).toEqual([second, t.planId])
    expect((await list('?archived=all')).status).toBe(400)
    const first = await list('?archived=include&limit=1')
    expect((await list(`?limit=1&cursor=${first.body.next_cursor}`)).status).toBe(400)
    expect(ids(await list(`?archived=include&limit=1&cursor=${first.body.next_cursor}`))).toEqual([t.planId])
    clock.advance(3)
    expect((await post(t, `/api/plans/${t.planId}/archive`)).body.archived_at).toBe('2026-03-07T12:00:01Z')
    const restored = await post(t, `/api/plans/${t.planId}/unarchive`)
    expect(restored.body).toEqual({ ...archived.body, archived_at: null })
    expect(ids(await list())).toEqual([second, t.planId])
  })

  test('an archived plan makes no deployment (409) until restored; its deployments live on; 404 for another user', async () => {
    const t = await createTenant(h)
    const other = await createTenant(h)
    const before = await t.createDeployment('live')
    await post(t, `/api/plans/${t.planId}/archive`)
    const refused = await h.request('POST', '/api/deployments', { body: { plan_id: t.planId, mode: 'live' }, headers: t.asKey })
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('CONFLICT')
    // 409 comes before a 400 of the body (docs/api.md §0 order).
    expect((await h.request('POST', '/api/deployments', { body: { plan_id: t.planId, mode: 'nope' }, headers: t.asKey })).status).toBe(409)
    expect((await h.request('GET', `/api/deployments/${before}`, { headers: t.asKey })).body.status).toBe('pending')
    await post(t, `/api/plans/${t.planId}/unarchive`)
    expect((await h.request('POST', '/api/deployments', { body: { plan_id: t.planId, mode: 'live' }, headers: t.asKey })).status).toBe(201)
    for (const path of [`/api/plans/${t.planId}/archive`, `/api/plans/${t.planId}/unarchive`, '/api/plans/plan-nope/archive']) {
      const reply = await post(other, path)
      expect(reply.status).toBe(404)
      expect(reply.body).toEqual({ error: 'plan not found', code: 'NOT_FOUND' })
    }
  })
})
