// Fuzzing every other write route (docs/api.md §1, §2, §4, §5): a good body spoiled field by field with hostile
// values, sent with hostile bytes and headers. Whatever is sent: never a 5xx, the JSON error body, the
// reply the contract allows, nothing stored on a refusal, an accepted write reads back as sent.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect } from 'bun:test'
import { NO_DEPLOYMENT_FILTER } from '../../src/store/types'
import { parseExact } from './canonical'
import { badText, contentType, eventType, goodId, toBytes, wire, type Wire } from './event-arbitraries'
import { hostileValue, num, numberLiteral, obj, str, write, jsonValue, type J } from './json-text'
import { MiB, depths, expectOneOf, judgeBody, type Alt } from './oracle'
import { KEY_SCOPE, TELEMETRY_UNKNOWN } from './known-gaps'
import { ROUTES, TELEMETRY_FIELDS, lastTelemetry, type Ctx, type RouteCase } from './routes'
import { params, property } from './settings'
import { decodeStrict, expectHealthy, expectWellFormed, sendBytes } from './wire'
import { createWorld, login, type World } from './world'

let w: World
let serial = 0
beforeAll(async () => {
  w = await createWorld()
})
afterAll(() => w.h.close())

async function context(): Promise<Ctx> {
  const dep = await w.a.createDeployment('live')
  return { w, dep, cancelled: dep, serial: ++serial }
}

type Entries = Array<[string, J]>
/** A change to a body, as data so that a counterexample reads plainly. */
type Mutation = { op: 'set'; key: string; value: J } | { op: 'drop'; key: string } | { op: 'add'; key: string; value: J }

const LITERALS: J[] = [{ t: 'lit', text: 'null' }, { t: 'lit', text: 'true' }, { t: 'arr', items: [] }, obj([]), str(''), num('0')]
const fieldValue: fc.Arbitrary<J> = fc.oneof(hostileValue, badText, goodId, numberLiteral.map(num), fc.constantFrom(...LITERALS))

function apply(entries: Entries, m: Mutation): Entries {
  if (m.op === 'add') return [...entries, [m.key, m.value]]
  const rest = entries.filter(([k]) => k !== m.key)
  return m.op === 'set' ? [...rest, [m.key, m.value]] : rest
}
const setField = (key: string, value: J) => (entries: Entries) => apply(entries, { op: 'set', key, value })

function mutations(route: RouteCase): fc.Arbitrary<Mutation[]> {
  const kinds: Array<fc.Arbitrary<Mutation>> = [
    fc.record({ op: fc.constant('add' as const), key: fc.constantFrom('junk', '__proto__', 'constructor', ...route.fields), value: hostileValue }),
  ]
  if (route.fields.length > 0) {
    kinds.push(fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...route.fields), value: fieldValue }))
    kinds.push(fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...route.fields) }))
  }
  if (route.fields.includes('plan_data'))
    kinds.push(planEvents.map((events): Mutation => ({ op: 'set', key: 'plan_data', value: obj({ events: { t: 'arr', items: events } }) })))
  return fc.array(fc.oneof(...kinds), { maxLength: 2 })
}

/** Plan events with hostile type, timestamp_s, step_id and extra keys (their payload). */
const planEvents: fc.Arbitrary<J[]> = fc.array(
  fc
    .record({
      type: fc.oneof(eventType.map((t) => str(t)), badText, fieldValue),
      at: fc.oneof(numberLiteral.map(num), fieldValue),
      step: fc.option(fc.oneof(goodId, badText), { nil: undefined }),
      extra: fc.array(fc.tuple(fc.constantFrom('message', '__proto__', 'n', 'type'), jsonValue), { maxLength: 3 }),
    })
    .map(({ type, at, step, extra }) => obj([['type', type], ['timestamp_s', at], ...(step ? [['step_id', step] as [string, J]] : []), ...extra])),
  { minLength: 0, maxLength: 3 },
)

function exactOf(bytes: Uint8Array): Record<string, unknown> | null {
  const text = decodeStrict(bytes)
  if (text === null || depths(text).root > 64) return null
  try {
    return parseExact(text) as Record<string, unknown>
  } catch {
    return null
  }
}

/** Sends one request and holds it to the contract: the allowed replies, nothing stored when refused, a read-back when accepted. */
async function check(route: RouteCase, c: Ctx, bytes: Uint8Array | undefined, type: string | undefined, alts: Alt[], extraHeaders: Record<string, string> = {}) {
  await route.before?.(c, alts)
  const before = await w.snapshot()
  const headers = { ...route.headers(c), ...(type !== undefined ? { 'content-type': type } : {}), ...extraHeaders }
  const reply = await sendBytes(w.h.app, 'POST', route.path(c), { bytes, headers })
  const what = `${route.name} (${bytes?.byteLength ?? 0} bytes, ${type})`
  expectWellFormed(reply, what)
  expectOneOf(reply, alts, what)
  if (reply.status >= 400) expect(await w.snapshot(), `${what}: a refusal stored something`).toBe(before)
  else if (route.readBack) await route.readBack(c, (bytes && exactOf(bytes)) ?? {}, parseExact(reply.text))
  await route.after?.(c, bytes ? exactOf(bytes) : null, reply)
  return reply
}

describe('fuzz: every write route', () => {
  for (const route of ROUTES.filter((r) => r.rules !== null)) {
    property(`${route.name}: hostile bodies get the reply the contract allows and store nothing when refused`, async () => {
      route.setup?.(w)
      await fc.assert(
        fc.asyncProperty(mutations(route), wire, contentType, async (ms, wr, type) => {
          const c = await context()
          const entries = ms.reduce(apply, route.template(c))
          const bytes = toBytes(write(obj(entries)), wr)
          const verdict = judgeBody(bytes, type, MiB, (v) => route.rules!(v, c))
          await check(route, c, bytes, type, verdict.alts)
        }),
        params(25),
      )
      await expectHealthy(w.h.app)
    })
  }

  const cancel = ROUTES.find((r) => r.rules === null)!
  property(`${cancel.name}: any id and any body; only the caller's live deployment is cancelled, once`, async () => {
    const path = fc.oneof(
      fc.constantFrom('own', 'again', 'other', 'dep-unknown', '%ED%A0%80', '%00', 'dep-%F0%9F%98%80', '..', '%2F', 'x'.repeat(5000), '%FF%FE', 'dep-01' + '0'.repeat(24)),
      fc.string({ unit: 'binary-ascii', maxLength: 20 }).map(encodeURIComponent),
    )
    const body = fc.option(fc.tuple(hostileValue, wire, contentType), { nil: undefined })
    await fc.assert(
      fc.asyncProperty(path, body, async (which, sent) => {
        const c = await context()
        if (which === 'again') await sendBytes(w.h.app, 'POST', `/api/deployments/${c.dep}/cancel`, { headers: w.a.asKey })
        const other = (await w.h.store.listDeployments(w.userIds[1]!, { limit: 1, after: null, ...NO_DEPLOYMENT_FILTER }))[0]!.id
        const id = which === 'own' || which === 'again' ? c.dep : which === 'other' ? other : which
        const bytes = sent ? toBytes(write(sent[0]), sent[1]) : undefined
        const route = { ...cancel, path: () => `/api/deployments/${id}/cancel`, readBack: which === 'own' ? cancel.readBack : undefined }
        const expected: Alt[] = which === 'own' ? [{ status: 200 }] : which === 'again' ? [{ status: 409, code: 'CONFLICT' }] : [{ status: 404, code: 'NOT_FOUND' }]
        // The route reads no body; one that is sent may still be judged (413, 415, 400) before the id is.
        const bodyAlts: Alt[] = bytes ? [{ status: 400 }, { status: 413, code: 'PAYLOAD_TOO_LARGE' }, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }] : []
        await check(route, c, bytes, sent?.[2], [...expected, ...bodyAlts])
      }),
      params(40),
    )
  })
})

describe('fuzz: the input limits on every JSON route (docs/api.md §0)', () => {
  const routes = ROUTES.filter((r) => r.rules !== null && r.fields.length > 0)
  const route = fc.constantFrom(...routes)
  const start = () => routes.forEach((r) => r.setup?.(w))

  property('a field nested deeper than 64 from the root is 400 VALIDATION naming that top-level field', async () => {
    start()
    const nested = fc.record({ depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.constantFrom(100, 1000, 15_000, 100_000)), kind: fc.constantFrom('[', '{') as fc.Arbitrary<'[' | '{'>, junk: fc.boolean() })
    await fc.assert(
      fc.asyncProperty(route, nested, async (r, { depth, kind, junk }) => {
        const c = await context()
        const field = junk ? 'junk' : r.fields[(depth + (kind === '[' ? 1 : 0)) % r.fields.length]!
        const entries = setField(field, { t: 'deep', depth, kind, leaf: num('1') })(r.template(c))
        const bytes = toBytes(write(obj(entries)), { badUtf8: null, at: 0, cut: null, tail: '' })
        // The body is depth 1, the field's outermost container depth 2: `depth` containers reach depth + 1.
        const verdict = judgeBody(bytes, 'application/json', MiB, (v) => r.rules!(v, c))
        if (depth + 1 > 64) expect(verdict.alts.some((a) => a.field === field && a.top)).toBe(true)
        await check(r, c, bytes, 'application/json', verdict.alts)
      }),
      params(30),
    )
  })

  property('a body that is not valid UTF-8 is 400 BAD_REQUEST', async () => {
    start()
    await fc.assert(
      fc.asyncProperty(route, fc.constantFrom(...([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]] as number[][])), fc.double({ min: 0, max: 1, noNaN: true }), async (r, bad, at) => {
        const c = await context()
        const wr: Wire = { badUtf8: bad, at, cut: null, tail: '' }
        const bytes = toBytes(write(obj(r.template(c))), wr)
        await check(r, c, bytes, 'application/json', [{ status: 400, code: 'BAD_REQUEST' }])
      }),
      params(30),
    )
  })

  property('a lone surrogate or U+0000 in a text field is 400 VALIDATION naming it', async () => {
    start()
    const withText = routes.filter((r) => r.textFields.length > 0)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withText), fc.nat(), badText, async (r, pick, value) => {
        const c = await context()
        const field = r.textFields[pick % r.textFields.length]!
        const bytes = toBytes(write(obj(setField(field, value)(r.template(c)))), { badUtf8: null, at: 0, cut: null, tail: '' })
        // An id that cannot exist may also be answered as unknown (404 speaks before 400 body: docs/api.md §0).
        const alts: Alt[] = [{ status: 400, code: 'VALIDATION', field }, ...(field.endsWith('_id') && field !== 'agent_id' && field !== 'satellite_id' ? [{ status: 404, code: 'NOT_FOUND' }] : [])]
        await check(r, c, bytes, 'application/json', alts)
      }),
      params(40),
    )
  })

  property('a body over 1 MiB is 413 and one of another media type 415, before anything else', async () => {
    start()
    await fc.assert(
      fc.asyncProperty(route, fc.oneof(fc.constant('big'), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '')), async (r, kind) => {
        const c = await context()
        const entries = kind === 'big' ? setField('junk', str('x'.repeat(MiB)))(r.template(c)) : r.template(c)
        const bytes = toBytes(write(obj(entries)), { badUtf8: null, at: 0, cut: null, tail: '' })
        const alts: Alt[] = kind === 'big' ? [{ status: 413, code: 'PAYLOAD_TOO_LARGE' }] : [{ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }]
        await check(r, c, bytes, kind === 'big' ? 'application/json' : kind, alts)
      }),
      params(20),
    )
  })
})

describe('fuzz: odd X-Agent-ID headers on the agent routes', () => {
  const agentRoutes = ROUTES.filter((r) => r.path({} as Ctx).startsWith('/api/agent/'))
  const header = fc.oneof(
    fc.constantFrom<string | undefined>(undefined, '', ' ', 'sat-25544', ' sat-25544 ', 'sat 1', 'x'.repeat(128), 'x'.repeat(129), 'caf\xe9', 'tab\there', '\x7f', '%ED%A0%80'),
    fc.string({ unit: 'binary-ascii', maxLength: 140 }),
  ).filter((v) => {
    try {
      if (v !== undefined) new Headers({ v })
      return true
    } catch {
      return false
    }
  })
  property('a missing X-Agent-ID is 400 BAD_REQUEST; any other value is answered well and refusals store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...agentRoutes), header, async (r, agentId) => {
        const c = await context()
        const { 'x-agent-id': _, ...key } = w.a.asAgent
        const route = { ...r, headers: () => (agentId === undefined ? key : { ...key, 'x-agent-id': agentId }), readBack: undefined }
        const entries = r.template(c).filter(([k]) => k !== 'agent_id')
        const bytes = toBytes(write(obj(entries)), { badUtf8: null, at: 0, cut: null, tail: '' })
        const alts: Alt[] = agentId === undefined ? [{ status: 400, code: 'BAD_REQUEST' }] : [{ status: 200 }, { status: 201 }, { status: 400 }]
        await check(route, c, bytes, 'application/json', alts)
      }),
      params(30),
    )
  })
})

describe('fuzz: POST /api/auth/password beyond its body (docs/api.md §1)', () => {
  const route = ROUTES.find((r) => r.name === 'POST /api/auth/password')!
  property(`${route.name}: without a session of its own (none, an API key, a forged or ended session) it is 401 whatever the body`, async () => {
    route.setup!(w)
    const who = fc.constantFrom('none', 'key', 'bearer', 'garbage', 'wrong secret', 'ended')
    await fc.assert(
      fc.asyncProperty(who, mutations(route), wire, contentType, async (kind, ms, wr, type) => {
        const c = await context()
        const [id] = w.pw.cookie.slice('session='.length).split('.')
        let headers: Record<string, string> = {}
        if (kind === 'key') headers = w.a.asKey
        else if (kind === 'bearer') headers = { authorization: `Bearer ${w.a.key}` }
        else if (kind === 'garbage') headers = { cookie: 'session=garbage' }
        else if (kind === 'wrong secret') headers = { cookie: `session=${id}.${'A'.repeat(43)}` }
        else if (kind === 'ended') {
          const ended = (await login(w.h, w.pw.email, w.pw.password))!
          await sendBytes(w.h.app, 'POST', '/api/auth/logout', { headers: { cookie: ended } })
          headers = { cookie: ended }
        }
        const bytes = toBytes(write(obj(ms.reduce(apply, route.template(c)))), wr)
        // 401 comes first of all (docs/api.md §0 order), so the body is never judged.
        await check({ ...route, headers: () => headers }, c, bytes, type, [{ status: 401, code: 'UNAUTHORIZED' }])
      }),
      params(15),
    )
  })

  const step = fc.oneof({ weight: 4, arbitrary: fc.constant('wrong' as const) }, { weight: 1, arbitrary: fc.constantFrom('right' as const, 'short' as const) })
  property(`${route.name}: wrong current passwords count; past 10 in the window it is 429 even for the right one; a success clears the count`, async () => {
    route.setup!(w)
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 8, maxLength: 24 }), async (steps) => {
        for (const kind of steps) {
          const c: Ctx = { w, dep: '', cancelled: '', serial: ++serial }
          const template = route.template(c)
          const entries = kind === 'wrong' ? setField('current_password', str(`not ${w.pw.password}`))(template) : kind === 'short' ? setField('new_password', str('short'))(template) : template
          const bytes = toBytes(write(obj(entries)), { badUtf8: null, at: 0, cut: null, tail: '' })
          await check(route, c, bytes, 'application/json', judgeBody(bytes, 'application/json', MiB, (v) => route.rules!(v, c)).alts)
        }
      }),
      params(3),
    )
  })
})

describe('fuzz: gaps found, each on its own', () => {
  property(KEY_SCOPE, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom('full', 'agent', 'read'), fc.string({ maxLength: 8 }), badText.map((j) => (j as { s: string }).s)), async (scope) => {
        const c = await context()
        const bytes = toBytes(write(obj([['name', str('scoped')], ['scope', str(scope)]])), { badUtf8: null, at: 0, cut: null, tail: '' })
        const route = ROUTES.find((r) => r.name === 'POST /api/keys')!
        const reply = await check(route, c, bytes, 'application/json', ['full', 'agent', 'read'].includes(scope) ? [{ status: 201 }] : [{ status: 400, code: 'VALIDATION', field: 'scope' }])
        if (reply.status === 201) expect((reply.body as { scope?: string }).scope).toBe(scope)
      }),
      params(10),
    )
  })

  property(TELEMETRY_UNKNOWN, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('junk', '__proto__', 'constructor', 'extra_field'), jsonValue, async (key, value) => {
        const c = await context()
        const bytes = toBytes(write(obj([['status', str('idle')], [key, value]])), { badUtf8: null, at: 0, cut: null, tail: '' })
        const reply = await sendBytes(w.h.app, 'POST', '/api/agent/telemetry', { bytes, headers: { ...w.a.asAgent, 'content-type': 'application/json' } })
        expect(reply.status).toBe(200)
        expect(Object.keys(await lastTelemetry(c)).filter((k) => !TELEMETRY_FIELDS.includes(k))).toEqual([])
      }),
      params(10),
    )
  })
})
