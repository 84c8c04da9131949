// Fuzzing the paged lists (docs/api.md §0 "Lists", docs/lists.md): walks with any page sizes read every row
// once, newest first; a cursor works only on the list, caller and filters it was served for, never with
// offset; a garbled or forged cursor is 400 naming cursor, never a 5xx, and never reaches another's rows.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect } from 'bun:test'
import { parseTimestamp } from '../../src/domain/time'
import { PLAN_DATA, createTenant, type Tenant } from '../helpers'
import { expectOneOf, v400, type Alt } from './oracle'
import { params, property } from './settings'
import { expectHealthy, expectWellFormed, sendBytes } from './wire'
import { createWorld, type World } from './world'

let w: World
/** A second admin: a caller of its own for every list, /api/users included. */
let c: Tenant
let otherMission: string
beforeAll(async () => {
  w = await createWorld()
  c = await createTenant(w.h, 'admin', 'sat-c')
  const post = (t: Tenant, path: string, body: unknown, headers = t.asKey) => w.h.request('POST', path, { body, headers })
  otherMission = (await post(w.a, '/api/missions', { name: 'second' })).body.id
  // Rows share created_at (the clock stands still) except where it moves a microsecond: ties and order both matter.
  for (let i = 0; i < 7; i++) {
    if (i % 3 === 0) w.clock.advance(0.000001)
    for (const t of [w.a, c]) {
      await post(t, '/api/missions', { name: `m${i}` })
      await post(t, '/api/plans', { mission_id: i % 2 && t === w.a ? otherMission : t.missionId, label: `p${i}`, satellite_id: '25544', plan_data: PLAN_DATA })
      await post(t, '/api/keys', { name: `k${i}` }, { cookie: t.cookie })
      await post(t, '/api/agent/telemetry', { status: 'idle' }, { ...t.asKey, 'x-agent-id': `sat-${t === w.a ? 'a' : 'c'}${i}` })
      await post(t, '/api/deployments', { plan_id: t.planId, mode: 'live' })
    }
    await post(w.a, '/api/users', { email: `listed${i}@example.test`, password: 'long enough password' }, { cookie: w.a.cookie })
  }
})
afterAll(() => w.h.close())

type List = { name: string; path: (t: Tenant) => string; key: string; headers: (t: Tenant) => Record<string, string> }
const LISTS: List[] = [
  { name: 'agents', path: () => '/api/agents', key: 'agents', headers: (t) => t.asKey },
  { name: 'keys', path: () => '/api/keys', key: 'keys', headers: (t) => ({ cookie: t.cookie }) },
  { name: 'users', path: () => '/api/users', key: 'users', headers: (t) => ({ cookie: t.cookie }) },
  { name: 'missions', path: () => '/api/missions', key: 'missions', headers: (t) => t.asKey },
  { name: 'plans', path: () => '/api/plans', key: 'plans', headers: (t) => t.asKey },
  { name: 'plans of a mission', path: (t) => `/api/plans?mission_id=${t === c ? c.missionId : otherMission}`, key: 'plans', headers: (t) => t.asKey },
  { name: 'deployments', path: () => '/api/deployments', key: 'deployments', headers: (t) => t.asKey },
  { name: 'deployments, filtered', path: (t) => `/api/deployments?status=running,pending&mode=live&mission_id=${t.missionId}`, key: 'deployments', headers: (t) => t.asKey },
]
const callers = () => [w.a, c]

type Item = Record<string, unknown> & { id: string }
const url = (list: List, t: Tenant, extra: string) => `${list.path(t)}${list.path(t).includes('?') ? '&' : '?'}${extra}`

/** One page, held to the response shape: the compat key, `next_cursor` only when there is a next page. */
async function page(list: List, t: Tenant, query: string) {
  const target = url(list, t, query)
  const reply = await sendBytes(w.h.app, 'GET', target, { headers: list.headers(t) })
  const what = `GET ${target.slice(0, 200)}`
  expectWellFormed(reply, what)
  if (reply.status !== 200) return { reply, what, items: [] as Item[], next: undefined }
  const body = reply.body as Record<string, unknown>
  expect(Object.keys(body).filter((k) => k !== list.key && k !== 'next_cursor'), `${what}: fields beside the list`).toEqual([])
  const next = body.next_cursor
  if (next !== undefined) expect(typeof next === 'string' && next.length > 0, `${what}: next_cursor`).toBe(true)
  return { reply, what, items: body[list.key] as Item[], next: next as string | undefined }
}

/** The whole list in one page (every list here is far under 500). */
async function everything(list: List, t: Tenant): Promise<Item[]> {
  const { reply, items, next } = await page(list, t, 'limit=500')
  expect(reply.status).toBe(200)
  expect(next, 'a list of one page has no next_cursor').toBeUndefined()
  return items
}

/** A real cursor: the next_cursor after the first item. */
async function cursorOf(list: List, t: Tenant): Promise<string> {
  const { next } = await page(list, t, 'limit=1')
  expect(next, `${list.name} holds more than one row`).toBeDefined()
  return next!
}

/** A 200 to a cursor not served as it was sent: a page of the caller's own rows, never another's. */
async function expectOwnRows(list: List, t: Tenant, items: Item[], limit: number, what: string) {
  const own = new Set((await everything(list, t)).map((i) => i.id))
  expect(items.length, what).toBeLessThanOrEqual(limit)
  for (const item of items) expect(own.has(item.id), `${what}: ${item.id} is not the caller's`).toBe(true)
}

describe('fuzz: paged lists', () => {
  property('a walk with any page sizes reads every row once, newest first; next_cursor only where a next page exists', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LISTS), fc.nat(1), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }), async (list, who, limits) => {
        const t = callers()[who]!
        const all = await everything(list, t)
        expect(all.length, `${list.name} has rows to page through`).toBeGreaterThan(2)
        const times = all.map((i) => i.created_at).filter((v): v is string => typeof v === 'string').map((v) => parseTimestamp(v)!)
        expect([...times].sort((x, y) => y - x), `${list.name}: newest first`).toEqual(times)
        const seen: string[] = []
        let cursor: string | undefined
        for (let n = 0; n <= all.length; n++) {
          const limit = limits[n % limits.length]!
          const { reply, what, items, next } = await page(list, t, `limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
          expect(reply.status, what).toBe(200)
          expect(items.length, `${what}: at most limit items`).toBeLessThanOrEqual(limit)
          if (cursor) expect(items.length, `${what}: the page after a next_cursor is not empty`).toBeGreaterThan(0)
          seen.push(...items.map((i) => i.id))
          if (!next) break
          cursor = next
        }
        expect(seen, `${list.name}: the pages read the list once, in order`).toEqual(all.map((i) => i.id))
      }),
      params(20),
    )
  })

  property('a cursor works only on its own list, for its caller, with its filters, and never with offset', async () => {
    const misuse = fc.constantFrom('same', 'other list', 'other caller', 'with offset', 'offset first')
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LISTS), fc.constantFrom(...LISTS), fc.nat(1), misuse, async (list, elsewhere, who, how) => {
        const [t, u] = who ? [c, w.a] : [w.a, c]
        const cursor = await cursorOf(list, t)
        const target = how === 'other list' ? elsewhere : list
        const caller = how === 'other caller' ? u : t
        const query = how === 'with offset' ? `cursor=${cursor}&offset=0` : how === 'offset first' ? `offset=1&cursor=${cursor}` : `cursor=${cursor}`
        const { reply, what } = await page(target, caller, query)
        // The users list is the same rows for every admin, but a cursor still belongs to whoever was served it (docs/lists.md).
        const valid = how === 'same' || (how === 'other list' && target.path(t) === list.path(t))
        const offset = how.includes('offset')
        const alts: Alt[] = valid ? [{ status: 200 }] : [v400('cursor'), ...(offset ? [v400('offset')] : [])]
        expectOneOf(reply, alts, `${what} (${list.name} cursor, ${how})`)
      }),
      params(30),
    )
  })

  property('a garbled or forged cursor is 400 naming cursor, or a page of the caller\'s own rows; never a 5xx', async () => {
    const HOSTILE: unknown[] = [-1, 0, 1.5, -0, 2 ** 53, 1e308, '', 'x'.repeat(129), '\u0000', '\ud800', "' OR 1=1 --", 'a b', '1', null, true, [], {}, 'usr-zzz']
    const forgery = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(5), value: fc.constantFrom(...HOSTILE) }),
      fc.record({ kind: fc.constant('length' as const), drop: fc.boolean() }),
      fc.record({ kind: fc.constantFrom('char' as const, 'cut' as const, 'append' as const, 'pad' as const, 'upper' as const, 'standard' as const, 'long' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('raw' as const), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_'), maxLength: 600 })) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...LISTS), fc.nat(1), forgery, fc.integer({ min: 1, max: 4 }), async (list, who, f, limit) => {
        const t = callers()[who]!
        const real = await cursorOf(list, t)
        let decoded: unknown[] | null = null
        try {
          const v = JSON.parse(Buffer.from(real, 'base64url').toString())
          if (Array.isArray(v)) decoded = v
        } catch {}
        const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
        let forged: string
        // A forgery that keeps the served cursor's shape may stand for a place in the caller's own list.
        let shaped = false
        if (f.kind === 'replace' && decoded) {
          const copy = [...decoded]
          const at = f.at % copy.length
          copy[at] = f.value
          shaped = typeof f.value === typeof decoded[at] && f.value !== null && !Array.isArray(f.value)
          forged = b64(copy)
        } else if (f.kind === 'length' && decoded) forged = b64(f.drop ? decoded.slice(0, -1) : [...decoded, 1])
        else if (f.kind === 'char') {
          const i = f.at % real.length
          forged = `${real.slice(0, i)}${real[i] === 'A' ? 'B' : 'A'}${real.slice(i + 1)}`
          shaped = true // it may still decode to a cursor of the same shape
        } else if (f.kind === 'cut') forged = real.slice(0, f.at % real.length)
        else if (f.kind === 'append') forged = `${real}A`
        else if (f.kind === 'pad') forged = `${real}=`
        else if (f.kind === 'upper') forged = real.toUpperCase()
        else if (f.kind === 'standard') forged = Buffer.from(real, 'base64url').toString('base64')
        else if (f.kind === 'long') forged = real.repeat(1 + Math.ceil(513 / real.length))
        else forged = f.kind === 'raw' ? f.text : real.slice(1)
        if (forged === real) return
        const { reply, what, items } = await page(list, t, `limit=${limit}&cursor=${encodeURIComponent(forged)}`)
        expectOneOf(reply, shaped ? [v400('cursor'), { status: 200 }] : [v400('cursor'), ...(forged === '' ? [{ status: 200 }] : [])], `${what} (${JSON.stringify(f).slice(0, 100)})`)
        if (reply.status === 200) await expectOwnRows(list, t, items, limit, what)
      }),
      params(60),
    )
    await expectHealthy(w.h.app)
  })
})
