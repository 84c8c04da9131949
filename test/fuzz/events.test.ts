// Fuzzing the report routes (docs/api.md §3.1, §3.4) against a model: every generated report gets the reply the
// contract allows, a refusal stores nothing, an accepted event reads back as sent, a retry (keys reordered,
// numbers respelled, the instant spelled otherwise) answers 200 with the first id.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect } from 'bun:test'
import { respell } from './canonical'
import { contentType, idempotencyKey, spec, specJson, toBytes, wire, type Spec, type Wire } from './event-arbitraries'
import { EventModel, eventAlts, factsOf, type Facts } from './event-model'
import { parseExact } from './canonical'
import { numberLiteral, write, type J } from './json-text'
import { MiB, depths, expectOneOf, isIdempotencyKey, judgeBody, type Alt } from './oracle'
import { params, property } from './settings'
import { decodeStrict, expectHealthy, expectWellFormed, sendBytes } from './wire'
import { createWorld, type World } from './world'

let w: World
beforeAll(async () => {
  w = await createWorld()
})
afterAll(() => w.h.close())

type Step =
  | { kind: 'new'; spec: Spec; wire: Wire; type: string | undefined }
  | { kind: 'retry'; of: number; seed: number; variant: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('new' as const), spec, wire, type: contentType }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), of: fc.nat(), seed: fc.nat(), variant: fc.nat(4) }) },
)

/** The body a step sends: its own spec, or an earlier one's respelled (same content, new spelling). */
function bodyOf(steps: Step[], i: number): { json: J; wire: Wire; type: string | undefined } {
  const s = steps[i]!
  if (s.kind === 'new') return { json: specJson(s.spec), wire: s.wire, type: s.type }
  const earlier = steps.slice(0, i).filter((x): x is Extract<Step, { kind: 'new' }> => x.kind === 'new')
  if (earlier.length === 0) return { json: { t: 'obj', entries: [] }, wire: { badUtf8: null, at: 0, cut: null, tail: '' }, type: 'application/json' }
  const original = earlier[s.of % earlier.length]!
  const again = { ...original.spec, variant: s.variant }
  return { json: respell(specJson(again), s.seed), wire: original.wire, type: original.type }
}

/** The exact body, when it is UTF-8 JSON no deeper than 64 (the only kind that can be stored). */
function exactBody(bytes: Uint8Array): unknown {
  const text = decodeStrict(bytes)
  if (text === null || depths(text).root > 64) return undefined
  try {
    return parseExact(text)
  } catch {
    return undefined
  }
}

const headersFor = (type: string | undefined, key?: string) => ({
  ...w.a.asAgent,
  ...(type !== undefined ? { 'content-type': type } : {}),
  ...(key !== undefined ? { 'idempotency-key': key } : {}),
})

/** The Idempotency-Key as the server receives it (Headers trim it), or null when none is sent. */
const receivedKey = (key: string | undefined) => (key === undefined ? null : new Headers({ k: key }).get('k'))
const sendableKey = idempotencyKey.filter((k) => {
  try {
    new Headers({ k })
    return true
  } catch {
    return false // a header no client can send (CR, LF, NUL, past U+00FF)
  }
})

async function expectListMatches(dep: string, model: EventModel, what: string) {
  const list = await sendBytes(w.h.app, 'GET', `/api/deployments/${dep}/events?limit=500`, { headers: w.a.asKey })
  expect(list.status, what).toBe(200)
  model.expectList(list.text, what)
  const item = await sendBytes(w.h.app, 'GET', `/api/deployments/${dep}`, { headers: w.a.asKey })
  expect((item.body as { event_count: number }).event_count, `${what}: event_count`).toBe(model.stored.length)
}

describe('fuzz: POST /api/deployments/:id/events', () => {
  property('every report gets the reply the contract allows; refusals store nothing; retries answer the first id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), fc.option(fc.array(sendableKey, { minLength: 5, maxLength: 5 }), { nil: undefined }), async (steps, keys) => {
        const dep = await w.a.createDeployment('live')
        const model = new EventModel()
        for (let i = 0; i < steps.length; i++) {
          const { json, wire: wr, type } = bodyOf(steps, i)
          const bytes = toBytes(write(json), wr)
          const sentKey = keys?.[i]
          const key = receivedKey(sentKey)
          const what = `step ${i} (${bytes.byteLength} bytes${key !== null ? `, key ${JSON.stringify(key)}` : ''})`
          const exact = exactBody(bytes)
          const facts = exact === undefined ? null : factsOf(exact)
          const existing = facts ? model.find(facts, key) : undefined
          const accept: Alt = { status: existing ? 200 : 201 }
          const verdict = judgeBody(bytes, type, MiB, (v) => eventAlts(v, accept))
          let alts = verdict.alts
          if (key !== null && !isIdempotencyKey(key)) alts = [...alts.filter((a) => a.status >= 400), { status: 400, code: 'BAD_REQUEST' }]
          const reply = await sendBytes(w.h.app, 'POST', `/api/deployments/${dep}/events`, { bytes, headers: headersFor(type, sentKey) })
          expectWellFormed(reply, what)
          expectOneOf(reply, alts, what)
          if (reply.status === 200 || reply.status === 201) model.accept(facts as Facts, key, (reply.body as { id: string }).id, reply.status === 201, what)
        }
        await expectListMatches(dep, model, 'after the run')
      }),
      params(60),
    )
    await expectHealthy(w.h.app)
  })

  property('an accepted event sent again with keys reordered and numbers respelled is 200 with the same id', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.nat(), fc.nat(4), async (s, seed, variant) => {
        const dep = await w.a.createDeployment('live')
        const first = await sendBytes(w.h.app, 'POST', `/api/deployments/${dep}/events`, { bytes: toBytes(write(specJson(s)), { badUtf8: null, at: 0, cut: null, tail: '' }), headers: headersFor('application/json') })
        expectWellFormed(first, 'first')
        fc.pre(first.status === 201)
        const again = respell(specJson({ ...s, variant }), seed)
        const second = await sendBytes(w.h.app, 'POST', `/api/deployments/${dep}/events`, { bytes: toBytes(write(again), { badUtf8: null, at: 0, cut: null, tail: '' }), headers: headersFor('application/json') })
        expect(second.status, `retry of ${first.text}: ${second.text}`).toBe(200)
        expect(second.body).toEqual(first.body as object)
        const count = await sendBytes(w.h.app, 'GET', `/api/deployments/${dep}`, { headers: w.a.asKey })
        expect((count.body as { event_count: number }).event_count).toBe(1)
      }),
      { ...params(50), maxSkipsPerRun: 1000 },
    )
  })
})

describe('fuzz: POST /api/deployments/:id/events/batch', () => {
  /** A batch: events, each possibly repeated (500 copies make a big batch cheaply), sent once or twice. */
  const batch = fc.record({
    events: fc.array(fc.tuple(spec, fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 250, 499, 500, 501) })), { minLength: 0, maxLength: 4 }),
    wire,
    type: contentType,
    seed: fc.nat(),
    wrap: fc.constantFrom('events', 'events', 'events', 'list', 'object'),
  })

  property('every batch is all or nothing, answered in input order, and reads back as sent', async () => {
    await fc.assert(
      fc.asyncProperty(batch, async ({ events, wire: wr, type, seed, wrap }) => {
        const dep = await w.a.createDeployment('live')
        const model = new EventModel()
        const count = events.reduce((n, [, copies]) => n + copies, 0)
        // Each distinct event is written once and repeated as text: 500 copies stay cheap to build.
        const textOf = (round: number) => {
          const list = events.map(([s, copies], i) => Array<string>(copies).fill(write(round ? respell(specJson(s), seed + i) : specJson(s)))).flat()
          if (wrap === 'list') return `[${list.join(',')}]`
          return wrap === 'object' ? '{"events":{}}' : `{"events":[${list.join(',')}]}`
        }
        const size = events.reduce((n, [s, copies]) => n + copies * write(specJson(s)).length, 0)
        fc.pre(size < 20 * MiB)
        for (const round of [0, 1]) {
          const what = `round ${round}, ${count} events`
          const bytes = toBytes(textOf(round), wr)
          const exact = exactBody(bytes) as { events?: unknown[] } | undefined
          const verdict = judgeBody(bytes, type, 16 * MiB, (v) => batchAlts(v))
          const reply = await sendBytes(w.h.app, 'POST', `/api/deployments/${dep}/events/batch`, { bytes, headers: headersFor(type) })
          expectWellFormed(reply, what)
          expectOneOf(reply, verdict.alts, what)
          if (reply.status !== 200) continue
          const results = (reply.body as { results: Array<{ id: string; status: string }> }).results
          expect(results.length, what).toBe(exact!.events!.length)
          results.forEach((r, i) => model.accept(factsOf(exact!.events![i])!, null, r.id, r.status === 'created', `${what}, events[${i}]`))
          const { created, duplicates } = reply.body as { created: number; duplicates: number }
          expect([created, duplicates], what).toEqual([results.filter((r) => r.status === 'created').length, results.filter((r) => r.status === 'duplicate').length])
        }
        await expectListMatches(dep, model, 'after the batches')
      }),
      { ...params(40), maxSkipsPerRun: 100 },
    )
    await expectHealthy(w.h.app)
  })
})

/** A batch body: an object with 1 to 500 events; the first 413 of any event outranks every 400. */
function batchAlts(v: unknown): Alt[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [{ status: 400, code: 'VALIDATION', field: 'body' }]
  const events = (v as { events?: unknown }).events
  if (!Array.isArray(events) || events.length < 1 || events.length > 500) return [{ status: 400, code: 'VALIDATION', field: 'events' }]
  const per = events.map((e, i) => eventAlts(e, { status: 200 }, `events[${i}].`))
  const definite = per.filter((alts) => alts.length === 1 && alts[0]!.status === 413)
  if (definite.length > 0) return [{ status: 413, code: 'PAYLOAD_TOO_LARGE' }]
  const refusals = per.flat().filter((a) => a.status >= 400)
  const anyOk = per.every((alts) => alts.some((a) => a.status === 200))
  return anyOk ? [{ status: 200 }, ...refusals.filter((a) => a.status === 413)] : refusals
}

describe('fuzz: payload values (docs/api.md §0, §3.1)', () => {
  /** Pairs of payload values: the same value spelled twice (a retry), or two values (two events). */
  const PAIRS: Array<[string, string, 'same' | 'distinct']> = [
    ['"\\ud800"', '"\\ufffd"', 'distinct'],
    ['"\\udc00\\ud800"', '"\\ud800\\udc00"', 'distinct'],
    ['"\\u0000"', '""', 'distinct'],
    ['"\\ud800"', '"\\uD800"', 'same'],
    ['1e400', '10e399', 'same'],
    ['1e400', '1e401', 'distinct'],
    ['1e-7', '0.0000001', 'same'],
    ['1e-400', '0', 'distinct'],
    ['1e-400', '0.1e-399', 'same'],
    ['9007199254740993', '9007199254740992', 'distinct'],
    ['9007199254740993', '9.007199254740993e15', 'same'],
    ['0.1e1', '1', 'same'],
    ['72000.0', '72000', 'same'],
    ['1.00000000000000001', '1', 'distinct'],
  ]
  const pair = fc.oneof(
    fc.constantFrom(...PAIRS),
    fc.tuple(numberLiteral, fc.nat()).map(([n, seed]): [string, string, 'same'] => [n, write(respell({ t: 'num', text: n }, seed)), 'same']),
    numberLiteral.filter((n) => /[1-9]/.test(n.split(/[eE]/)[0]!)).map((n): [string, string, 'distinct'] => [n, n.replace(/[1-9]/, (d) => String((Number(d) % 9) + 1)), 'distinct']),
  )

  property('payload strings keep their escapes, and a number is one value however it is spelled', async () => {
    await fc.assert(
      fc.asyncProperty(pair, async ([a, b, relation]) => {
        const dep = await w.a.createDeployment('live')
        const model = new EventModel()
        const body = (v: string) => `{"type":"step.progress","timestamp":"2026-03-07T12:00:00Z","job_id":"j","payload":{"v":${v}}}`
        for (const [i, v] of [a, b].entries()) {
          const bytes = toBytes(body(v), { badUtf8: null, at: 0, cut: null, tail: '' })
          const reply = await sendBytes(w.h.app, 'POST', `/api/deployments/${dep}/events`, { bytes, headers: headersFor('application/json') })
          expectWellFormed(reply, body(v))
          expect(reply.status, `${i ? 'second' : 'first'} of ${a} / ${b} (${relation}): ${reply.text}`).toBe(i === 1 && relation === 'same' ? 200 : 201)
          model.accept(factsOf(parseExact(body(v)))!, null, (reply.body as { id: string }).id, reply.status === 201, `${a} / ${b}`)
        }
        await expectListMatches(dep, model, `${a} / ${b}`)
      }),
      params(60),
    )
  })
})
