// Generated event reports: mostly well-formed ones at a few colliding instants (so retries meet), each
// possibly mutated into a hostile one, written to bytes with odd spellings, bad UTF-8 and odd headers.
import fc from 'fast-check'
import { hostileText, hostileValue, jsonValue, deepValue, wideValue, hugeString, num, obj, str, write, type J } from './json-text'
import { isBadText } from './oracle'
import { utf8 } from './wire'

export const BASE_MICROS = Date.parse('2026-03-07T12:00:00Z') * 1000

/** An instant spelled in RFC 3339: Z or an offset, the fraction trimmed, padded, or past microseconds. */
export function spellInstant(micros: number, variant: number): string {
  const offset = [0, 0, -300, 330, 0][variant % 5]!
  const local = micros + offset * 60_000_000
  const ms = Math.floor(local / 1000)
  const iso = new Date(ms).toISOString()
  const fraction = iso.slice(20, 23) + String(local - ms * 1000).padStart(3, '0')
  const zone = offset === 0 ? (variant % 5 === 1 ? '+00:00' : variant % 5 === 4 ? 'z' : 'Z') : `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`
  const frac = [fraction.replace(/0+$/, ''), `${fraction}999`, fraction, `${fraction}0`, fraction][variant % 5]!
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}${zone}`
}

const instant = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(BASE_MICROS, BASE_MICROS + 1, BASE_MICROS + 1_000_000) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }).map((d) => BASE_MICROS + d) },
)

const escape = fc.constantFrom('json', 'u', 'raw') as fc.Arbitrary<'json' | 'u' | 'raw'>

export const eventType = fc.oneof(
  fc.constantFrom('step.progress', 'step.started', 'transfer.chunk', 'job.accepted', 'a.b', 'x_1.y_2.z_3'),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,6}(\.[a-z][a-z0-9_]{0,6}){1,3}$/),
)

/** job_id and step_id values that are good: ordinary and odd text, and raw lone surrogates (U+FFFD on the wire). */
export const goodId: fc.Arbitrary<J> = fc.oneof(
  fc.constantFrom('job-1', 'j', 'preset-001', 'capture').map((s) => str(s)),
  fc.tuple(hostileText.filter((s) => !isBadText(s) && s.length <= 128), escape).map(([s, e]) => str(s, e)),
  fc.tuple(fc.constantFrom('\ud800', 'a\udfff', '\udc00\ud800'), fc.constant('raw' as const)).map(([s, e]) => str(s, e)),
  fc.constant<J>({ t: 'lit', text: 'null' }),
)

/** Text that a text field must refuse: a lone surrogate escape or U+0000. */
export const badText: fc.Arbitrary<J> = fc
  .tuple(fc.constantFrom('a\ud800', '\udfff', 'x\u0000y', '\u0000', '\udc00\ud800'), fc.constantFrom('json', 'u') as fc.Arbitrary<'json' | 'u'>)
  .map(([s, e]) => str(s, e))

const payloadEntry = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'n', 'message', '__proto__', '', '0', 'percent'), jsonValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('deep'), deepValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('wide'), wideValue) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('big'), hugeString.map((j) => (j.t === 'rep' ? { ...j, n: Math.ceil(j.n / 20) } : j))) },
)
const payload: fc.Arbitrary<J> = fc.oneof(
  { weight: 6, arbitrary: fc.array(payloadEntry, { maxLength: 6 }).map((e) => obj(e)) },
  { weight: 1, arbitrary: fc.constant<J>({ t: 'lit', text: 'null' }) },
)

export type Spec = { instant: number; variant: number; fields: Array<[string, J]>; dropTimestamp: boolean }

const cleanSpec: fc.Arbitrary<Spec> = fc
  .record({
    instant,
    variant: fc.nat(4),
    type: fc.tuple(eventType, escape),
    job: fc.option(goodId, { nil: undefined }),
    step: fc.option(goodId, { nil: undefined }),
    payload: fc.option(payload, { nil: undefined }),
  })
  .map(({ instant, variant, type, job, step, payload }) => ({
    instant,
    variant,
    dropTimestamp: false,
    fields: [['type', str(...type)] as [string, J], ...(job ? [['job_id', job] as [string, J]] : []), ...(step ? [['step_id', step] as [string, J]] : []), ...(payload ? [['payload', payload] as [string, J]] : [])],
  }))

const FIELDS = ['type', 'timestamp', 'job_id', 'step_id', 'payload'] as const

/** One hostile change to an event: a field's value replaced, removed, doubled, or a junk field added. */
const mutation: fc.Arbitrary<(s: Spec) => Spec> = fc.oneof(
  fc.tuple(fc.constantFrom(...FIELDS), fc.oneof(hostileValue, badText)).map(([f, v]) => (s: Spec) => set(s, f, v)),
  fc.constantFrom(...FIELDS).map((f) => (s: Spec) => (f === 'timestamp' ? { ...s, dropTimestamp: true } : { ...s, fields: s.fields.filter(([k]) => k !== f) })),
  fc.tuple(fc.constantFrom('junk', '__proto__', 'constructor', 'type', 'payload'), hostileValue).map(([k, v]) => (s: Spec) => ({ ...s, fields: [...s.fields, [k, v] as [string, J]] })),
  fc.tuple(fc.constantFrom('job_id', 'step_id', 'type'), badText).map(([f, v]) => (s: Spec) => set(s, f, v)),
  fc.constantFrom('2026-03-07T12:00:00', '2026-02-30T12:00:00Z', '2026-03-07T12:00:60Z', '', '1772884800', '2026-03-07T12:00:00.1234567890Z').map((t) => (s: Spec) => set(s, 'timestamp', str(t))),
  fc.constantFrom('1e400', '-0', '7').map((n) => (s: Spec) => set(s, 'timestamp', num(n))),
)

function set(s: Spec, field: string, value: J): Spec {
  if (field === 'timestamp') return { ...s, dropTimestamp: true, fields: [...s.fields, ['timestamp', value]] }
  return { ...s, fields: [...s.fields.filter(([k]) => k !== field), [field, value]] }
}

export const spec: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 3, arbitrary: cleanSpec },
  { weight: 2, arbitrary: fc.tuple(cleanSpec, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([s, ms]) => ms.reduce((acc, m) => m(acc), s)) },
)

/** The event as a JSON value: the timestamp first, then the fields in their order. */
export const specJson = (s: Spec): J => obj([...(s.dropTimestamp ? [] : [['timestamp', str(spellInstant(s.instant, s.variant))] as [string, J]]), ...s.fields])

// ---- the wire ----------------------------------------------------------------------------------------

/** Byte sequences no UTF-8 decoder may accept: bad lead, overlong, CESU surrogate, truncated, past U+10FFFF. */
export const INVALID_UTF8 = [[0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]]

/** What is done to the text on its way to bytes. */
export type Wire = { badUtf8: number[] | null; at: number; cut: number | null; tail: string }

export const wire: fc.Arbitrary<Wire> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Wire>({ badUtf8: null, at: 0, cut: null, tail: '' }) },
  { weight: 1, arbitrary: fc.record({ badUtf8: fc.constantFrom(...INVALID_UTF8), at: fc.double({ min: 0, max: 1, noNaN: true }), cut: fc.constant(null), tail: fc.constant('') }) },
  { weight: 1, arbitrary: fc.record({ badUtf8: fc.constant(null), at: fc.constant(0), cut: fc.double({ min: 0, max: 1, noNaN: true }), tail: fc.constantFrom('', ' ', ',', '}', 'x', '\u0000', '{}') }) },
)

/**
 * The bytes of a text: invalid UTF-8 goes inside the first string after `at` (so the rest is still JSON),
 * and a cut or a tail makes it not JSON.
 */
export function toBytes(text: string, w: Wire): Uint8Array {
  if (w.cut !== null || w.tail) text = text.slice(0, w.cut === null ? text.length : Math.floor(text.length * w.cut)) + w.tail
  const bytes = utf8(text)
  if (!w.badUtf8) return bytes
  let i = bytes.indexOf(0x22, Math.floor(bytes.length * w.at))
  if (i < 0) i = bytes.indexOf(0x22)
  const at = i < 0 ? 0 : i + 1
  const out = new Uint8Array(bytes.length + w.badUtf8.length)
  out.set(bytes.subarray(0, at))
  out.set(w.badUtf8, at)
  out.set(bytes.subarray(at), at + w.badUtf8.length)
  return out
}

export const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', 'application/json ;charset=utf-8', 'Application/Json',
  'text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'application/json-seq', 'multipart/form-data; boundary=x', 'text/json', '',
] as const

/** Mostly the JSON type; sometimes another spelling of it, another type, or none at all. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES, undefined) },
)

/** Idempotency-Key values: good ones from a small pool (so they repeat), and every kind of bad one. */
export const idempotencyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('k1', 'k2', 'retry-0001', '~!#$%&*+', 'k'.repeat(255)) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', 'a b', 'tab\there', 'k'.repeat(256), 'del\x7f', 'caf\xe9', '\xff', ' padded ') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 0, maxLength: 300 }) },
)

export const writeSpec = (s: Spec) => write(specJson(s))
