// Paging of every newest-first list (docs/api.md §0 "Lists", docs/lists.md): limit bounds, the cursor round
// trip at one shared instant, cursors of other filters, lists or users refused, forged cursors refused or
// harmless, and a cursor never reaching another user's rows.
import { describe, expect, test } from 'bun:test'
import { newId } from '../../src/domain/ids'
import { encodeCursor, fingerprintOf } from '../../src/http/paging'
import { createTenant, harnessPerTest, PLAN_DATA, type FixedClock, type Harness, type Reply, type Tenant } from '../helpers'

let h: Harness
let clock: FixedClock
harnessPerTest((harness, fixed) => {
  h = harness
  clock = fixed
})

type ListCase = {
  name: 'agents' | 'keys' | 'users' | 'missions' | 'plans' | 'deployments'
  role: 'admin' | 'operator'
  /** The caller's credentials for this list. */
  auth(t: Tenant): Record<string, string>
  /** Creates n rows at the clock's current instant; their ids in creation order. */
  seed(t: Tenant, n: number): Promise<string[]>
  /** The list's filters as its cursors' scope holds them when none is given. */
  filters?: (string | null)[]
  /** A page without `limit`: 100, or the compat 50 of the deployments (docs/api.md §2). */
  defaultLimit?: number
}

let agentCounter = 0
const userIdOf = async (t: Tenant): Promise<string> => (await h.request('GET', '/api/auth/me', { headers: { cookie: t.cookie } })).body.user.id

async function created(reply: Promise<Reply>): Promise<string> {
  const { status, body, text } = await reply
  if (status !== 201) throw new Error(`seeding failed: ${status} ${text}`)
  return body.id
}

async function times(n: number, make: (i: number) => Promise<string>): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push(await make(i))
  return ids
}

const LISTS: ListCase[] = [
  {
    name: 'agents',
    role: 'operator',
    auth: (t) => t.asKey,
    async seed(t, n) {
      const userId = await userIdOf(t)
      // Agent ids are the agents' own: numbered across the test, their order is their creation order.
      return times(n, async () => (await h.store.touchAgent(userId, `sat-${String(++agentCounter).padStart(6, '0')}`, clock())).id)
    },
  },
  {
    name: 'keys',
    role: 'operator',
    auth: (t) => ({ cookie: t.cookie }),
    seed: (t, n) => times(n, (i) => created(h.request('POST', '/api/keys', { body: { name: `k${i}` }, headers: { cookie: t.cookie } }))),
  },
  {
    name: 'users',
    role: 'admin',
    auth: (t) => ({ cookie: t.cookie }),
    // Straight into the store: argon2id for 250 users would only slow the test.
    seed: (_t, n) =>
      times(n, async (i) => (await h.store.insertUser({ id: newId('user'), email: `u${i}.${Math.random()}@x.test`, name: null, role: 'operator', passwordHash: 'x', createdAt: clock() }, null)).id),
  },
  {
    name: 'missions',
    role: 'operator',
    auth: (t) => t.asKey,
    seed: (t, n) => times(n, (i) => created(h.request('POST', '/api/missions', { body: { name: `m${i}` }, headers: t.asKey }))),
  },
  {
    name: 'plans',
    role: 'operator',
    // mission_id, archived (src/routes/plans.ts)
    filters: [null, 'exclude'],
    auth: (t) => t.asKey,
    seed: (t, n) =>
      times(n, (i) => created(h.request('POST', '/api/plans', { body: { mission_id: t.missionId, label: `p${i}`, satellite_id: '1', plan_data: PLAN_DATA }, headers: t.asKey }))),
  },
  {
    name: 'deployments',
    role: 'operator',
    // statuses, mission_id, mode, satellite_id, archived (src/routes/deployments.ts)
    filters: [null, null, null, null, 'exclude'],
    defaultLimit: 50,
    auth: (t) => t.asKey,
    seed: (t, n) => times(n, () => t.createDeployment('live')),
  },
]

const get = (path: string, headers: Record<string, string>) => h.request('GET', path, { headers })
const idsOf = (reply: Reply, field: string): string[] => reply.body[field].map((item: { id: string }) => item.id)
const withQuery = (path: string, query: string) => (query ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path)

/** Every page of a list from its first, following next_cursor; the pages' ids. */
async function allPages(path: string, field: string, headers: Record<string, string>, limit?: number): Promise<string[][]> {
  const pages: string[][] = []
  let cursor: string | undefined
  for (;;) {
    const query = [limit === undefined ? '' : `limit=${limit}`, cursor === undefined ? '' : `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join('&')
    const reply = await get(withQuery(path, query), headers)
    expect(reply.status).toBe(200)
    pages.push(idsOf(reply, field))
    if (!('next_cursor' in reply.body)) return pages
    expect(typeof reply.body.next_cursor).toBe('string')
    cursor = reply.body.next_cursor
    if (pages.length > 100) throw new Error('the list does not end')
  }
}

const expectRefused = (reply: Reply, field: string) => {
  expect(reply.status).toBe(400)
  expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field}: `)), code: 'VALIDATION' })
}

/** The scope (src/http/paging.ts) of a caller's cursors for this list, without filters. */
const scopeOf = async (list: ListCase, t: Tenant) => [list.name, await userIdOf(t), ...(list.filters ?? [])]
const b64 = (text: string) => Buffer.from(text).toString('base64url')

describe.each(LISTS)('GET /api/$name', (list) => {
  const path = `/api/${list.name}`

  test('250 rows made at one instant, paged by 100: each exactly once, newest first, next_cursor only while more remain', async () => {
    const t = await createTenant(h, list.role)
    const before = idsOf(await get(`${path}?limit=500`, list.auth(t)), list.name)
    clock.advance(1)
    const seeded = await list.seed(t, 250)
    const pages = await allPages(path, list.name, list.auth(t), 100)
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50 + before.length])
    expect(pages.flat()).toEqual([...seeded.toReversed(), ...before])
    // The default page is 100 (deployments: 50); 500 at most serves everything here in one page, with no next_cursor.
    const first = await get(path, list.auth(t))
    expect(idsOf(first, list.name)).toEqual(pages.flat().slice(0, list.defaultLimit ?? 100))
    const whole = await get(`${path}?limit=500`, list.auth(t))
    expect(idsOf(whole, list.name)).toEqual(pages.flat())
    expect(Object.keys(whole.body)).toEqual([list.name])
  })

  test('pages of 7 through rows of several instants, the clock moving between pages, keep the order', async () => {
    const t = await createTenant(h, list.role)
    const seeded: string[] = []
    for (let group = 0; group < 4; group++) {
      clock.advance(0.000_001) // one microsecond: the finest step the list order sees
      seeded.push(...(await list.seed(t, 5)))
    }
    const pages = await allPages(path, list.name, list.auth(t), 7)
    expect(pages.flat().slice(0, 20)).toEqual(seeded.toReversed())
    expect(new Set(pages.flat()).size).toBe(pages.flat().length)
  })

  test('rows added while paging appear on no later page: the cursor continues after the last row served', async () => {
    const t = await createTenant(h, list.role)
    const seeded = await list.seed(t, 10)
    const first = await get(`${path}?limit=4`, list.auth(t))
    clock.advance(1)
    const newer = await list.seed(t, 3)
    const rest = (await allPages(withQuery(path, `cursor=${first.body.next_cursor}`), list.name, list.auth(t))).flat()
    expect([...idsOf(first, list.name), ...rest].slice(0, 10)).toEqual(seeded.toReversed())
    for (const id of newer) expect(rest).not.toContain(id)
  })

  test.each(['0', '501', '-1', '1.5', 'abc', '', '1e2', ' 1', '+5', '0x10', '１０', '99999999999999999999'])('limit=%p is 400 naming limit', async (limit) => {
    const t = await createTenant(h, list.role)
    expectRefused(await get(`${path}?limit=${encodeURIComponent(limit)}`, list.auth(t)), 'limit')
  })

  test('limit or cursor given twice is 400 naming it', async () => {
    const t = await createTenant(h, list.role)
    await list.seed(t, 3)
    expectRefused(await get(`${path}?limit=1&limit=2`, list.auth(t)), 'limit')
    const { next_cursor } = (await get(`${path}?limit=1`, list.auth(t))).body
    expectRefused(await get(`${path}?cursor=${next_cursor}&cursor=${next_cursor}`, list.auth(t)), 'cursor')
  })

  test('offset is ignored alone (these lists have none) and refused with a cursor (docs/api.md §0)', async () => {
    const t = await createTenant(h, list.role)
    await list.seed(t, 3)
    const first = await get(`${path}?limit=1`, list.auth(t))
    expect(idsOf(await get(`${path}?limit=1&offset=2`, list.auth(t)), list.name)).toEqual(idsOf(first, list.name))
    expectRefused(await get(`${path}?offset=0&cursor=${first.body.next_cursor}`, list.auth(t)), 'cursor')
  })

  test('malformed and forged cursors are 400 naming cursor, never 500', async () => {
    const t = await createTenant(h, list.role)
    await list.seed(t, 3)
    const { next_cursor: real } = (await get(`${path}?limit=1`, list.auth(t))).body
    const fingerprint = fingerprintOf(await scopeOf(list, t))
    const padded = Buffer.from(real, 'base64url').toString('base64') // the same bytes in the other alphabet, padded
    const bad = [
      '',
      'abc',
      '!!!!',
      `${real}=`,
      real.slice(0, -1),
      padded === real ? `${real}==` : padded,
      'A'.repeat(513),
      b64('x'.repeat(400)),
      b64('not json'),
      b64('{}'),
      b64('[]'),
      b64('null'),
      b64(`[1,"a"]`),
      b64(`[1,"a","${fingerprint}",4]`),
      b64(`[1.5,"a","${fingerprint}"]`),
      b64(`["1","a","${fingerprint}"]`),
      b64(`[1e300,"a","${fingerprint}"]`),
      b64(`[9007199254740993,"a","${fingerprint}"]`),
      b64(`[1,"","${fingerprint}"]`),
      b64(`[1,"a b","${fingerprint}"]`),
      b64(`[1,"\\u0000","${fingerprint}"]`),
      b64(`[1,"\\ud800","${fingerprint}"]`),
      b64(`[1,"${'a'.repeat(129)}","${fingerprint}"]`),
      b64(`[1,7,"${fingerprint}"]`),
      b64(`[1,"a",null]`),
      b64(`[1,"a","${fingerprint}x"]`),
      Buffer.from([0x5b, 0x31, 0x2c, 0xff, 0xfe, 0x5d]).toString('base64url'), // not UTF-8
    ]
    for (const cursor of bad) {
      const reply = await get(`${path}?cursor=${encodeURIComponent(cursor)}`, list.auth(t))
      if (reply.status !== 400) throw new Error(`cursor ${JSON.stringify(cursor)} answered ${reply.status}`)
      expectRefused(reply, 'cursor')
    }
    // A well-formed cursor made by hand for this caller only positions the list among the caller's rows.
    const handmade = await get(`${path}?cursor=${encodeCursor({ createdAt: Number.MAX_SAFE_INTEGER, id: '~' }, fingerprint)}`, list.auth(t))
    expect(idsOf(handmade, list.name)).toEqual(idsOf(await get(path, list.auth(t)), list.name))
  })

  test('a cursor of another list is 400 naming cursor', async () => {
    const t = await createTenant(h, 'admin')
    const other = LISTS.find((l) => l.name !== list.name)!
    await other.seed(t, 3)
    const { next_cursor } = (await get(`/api/${other.name}?limit=1`, other.auth(t))).body
    expectRefused(await get(`${path}?cursor=${next_cursor}`, list.auth(t)), 'cursor')
  })

  test('another user’s cursor is 400, and a cursor forged at their rows still serves only the caller’s', async () => {
    const a = await createTenant(h, list.role)
    const b = await createTenant(h, list.role)
    const ofA = await list.seed(a, 5)
    const ofB = await list.seed(b, 5)
    const { next_cursor } = (await get(`${path}?limit=2`, list.auth(a))).body
    expectRefused(await get(`${path}?cursor=${next_cursor}`, list.auth(b)), 'cursor')
    // B's own fingerprint at A's newest row: B gets B's rows older than it, and nothing of A's.
    const forged = encodeCursor({ createdAt: clock(), id: ofA.at(-1)! }, fingerprintOf(await scopeOf(list, b)))
    const reply = await get(`${path}?cursor=${forged}`, list.auth(b))
    expect(reply.status).toBe(200)
    if (list.name === 'users') return // admins see every user: there is nothing of A's to hide
    const served = idsOf(reply, list.name)
    for (const id of [...ofA, ...idsOf(await get(path, list.auth(a)), list.name)]) expect(served).not.toContain(id)
    expect(idsOf(await get(path, list.auth(b)), list.name).slice(0, 5)).toEqual(ofB.toReversed())
  })
})

describe('GET /api/plans?mission_id=', () => {
  test('pages one mission’s plans; a cursor is valid only with the filter it was made with', async () => {
    const t = await createTenant(h)
    const other = await created(h.request('POST', '/api/missions', { body: { name: 'other' }, headers: t.asKey }))
    const plan = (missionId: string, i: number) =>
      created(h.request('POST', '/api/plans', { body: { mission_id: missionId, label: `p${i}`, satellite_id: '1', plan_data: PLAN_DATA }, headers: t.asKey }))
    const mine: string[] = [t.planId]
    const theirs: string[] = []
    for (let i = 0; i < 12; i++) {
      mine.push(await plan(t.missionId, i))
      theirs.push(await plan(other, i))
    }
    const pages = await allPages(`/api/plans?mission_id=${t.missionId}`, 'plans', t.asKey, 5)
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3])
    expect(pages.flat()).toEqual(mine.toReversed())

    const filtered = (await get(`/api/plans?mission_id=${t.missionId}&limit=5`, t.asKey)).body.next_cursor
    const unfiltered = (await get('/api/plans?limit=5', t.asKey)).body.next_cursor
    expectRefused(await get(`/api/plans?cursor=${filtered}`, t.asKey), 'cursor')
    expectRefused(await get(`/api/plans?mission_id=${other}&cursor=${filtered}`, t.asKey), 'cursor')
    expectRefused(await get(`/api/plans?mission_id=${t.missionId}&cursor=${unfiltered}`, t.asKey), 'cursor')
    // An empty mission_id is no filter, as it always was: the unfiltered cursor goes on with it.
    expect((await get(`/api/plans?mission_id=&cursor=${unfiltered}`, t.asKey)).status).toBe(200)
    expectRefused(await get(`/api/plans?mission_id=${t.missionId}&mission_id=${other}`, t.asKey), 'mission_id')
  })
})
