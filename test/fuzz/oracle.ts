// What the contract says a request must get, worked out from the bytes alone (docs/api.md §0 "Input limits",
// §3.1, §3.4): the replies allowed, as alternatives. Where the contract leaves a choice open (which of two
// bad fields is named, a limit the contract does not state), every reading it allows is listed.
import { expect } from 'bun:test'
import type { Reply } from '../helpers'
import { decodeStrict } from './wire'

/** One allowed reply: a status, and for a refusal its code and the field its message names. */
export type Alt = { status: number; code?: string; field?: string; top?: boolean }
export type Verdict = { alts: Alt[]; value?: unknown; text?: string }

export const MAX_DEPTH = 64
export const MiB = 1024 * 1024
export const PAYLOAD_MAX = 64 * 1024

export const v400 = (field: string, top = false): Alt => ({ status: 400, code: 'VALIDATION', field, top })
const BAD_REQUEST: Alt = { status: 400, code: 'BAD_REQUEST' }

/** A lone surrogate or U+0000: refused in identifier and text fields. */
export const isBadText = (s: string) => !s.isWellFormed() || s.includes('\u0000')

/**
 * The deepest nesting under each top-level member, counted from the body's root (root = 1), read from the
 * text without parsing it (the text may be 100 000 deep). `root` is the whole body's depth.
 */
export function depths(text: string): { root: number; fields: Map<string, number> } {
  const fields = new Map<string, number>()
  let depth = 0
  let root = 0
  let key: string | null = null
  let rootIsObject = false
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      let j = i + 1
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1
      if (depth === 1 && rootIsObject && expectKey) {
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string
        } catch {
          key = text.slice(i + 1, j)
        }
        expectKey = false
      }
      i = j
    } else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth === 1) {
        rootIsObject = c === 0x7b
        expectKey = rootIsObject
      }
      root = Math.max(root, depth)
      if (depth >= 2 && key !== null) fields.set(key, Math.max(fields.get(key) ?? 0, depth))
    } else if (c === 0x7d || c === 0x5d) depth--
    else if (c === 0x2c && depth === 1) {
      expectKey = rootIsObject
      key = null
    }
  }
  return { root, fields }
}

/** Whether a Content-Type names JSON: its media type, case aside, is application/json. */
export const isJsonType = (type: string | undefined) => type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/json'

/** Idempotency-Key: 1 to 255 visible ASCII characters (as the header reaches the server, trimmed). */
export const isIdempotencyKey = (key: string) => /^[\x21-\x7e]{1,255}$/.test(key)

/**
 * The body-level verdict every JSON route shares: 413 past the limit, 415, 400 BAD_REQUEST for bytes that
 * are not UTF-8 or text that is not JSON, 400 VALIDATION naming the top-level field nested deeper than 64.
 * `rules` judges the parsed body and returns the alternatives for it, its own 413 before 400 (a 2xx when
 * it is acceptable).
 */
export function judgeBody(bytes: Uint8Array, contentType: string | undefined, limit: number, rules: (value: unknown) => Alt[]): Verdict {
  if (bytes.byteLength > limit) return { alts: [{ status: 413, code: 'PAYLOAD_TOO_LARGE' }] }
  if (!isJsonType(contentType)) return { alts: [{ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }] }
  const text = decodeStrict(bytes)
  if (text === null) return { alts: [BAD_REQUEST] }
  const { root, fields } = depths(text)
  const deep: Alt[] = [...fields].filter(([, d]) => d > MAX_DEPTH).map(([k]) => v400(k, true))
  if (root > MAX_DEPTH && deep.length === 0) deep.push(v400('body', true))
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { alts: [BAD_REQUEST, ...deep], text }
  }
  // Too deep: that 400 names the field, though a 413 of a payload in it may outrank it (docs/api.md §0 order).
  // The rules are not run on such a value: serialising it is what a server must not try.
  if (deep.length > 0) return { alts: [...deep, ...(bytes.byteLength > PAYLOAD_MAX ? [{ status: 413, code: 'PAYLOAD_TOO_LARGE' }] : [])], value, text }
  return { alts: rules(value), value, text }
}

/** The reply is one of the allowed alternatives. */
export function expectOneOf(reply: Reply, alts: Alt[], what: string) {
  const body = reply.body as { error?: string; code?: string } | null
  const matches = (a: Alt) => {
    if (a.status !== reply.status) return false
    if (a.code !== undefined && body?.code !== a.code) return false
    if (a.field === undefined) return true
    const message = body?.error ?? ''
    if (!message.startsWith(a.field)) return false
    const next = message[a.field.length]
    return next === ':' || (a.top === true && (next === '.' || next === '['))
  }
  const allowed = alts.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}${a.field ? ` ${a.field}` : ''}`).join(' | ')
  expect(alts.some(matches), `${what}\n  got ${reply.status} ${reply.text.slice(0, 300)}\n  allowed: ${allowed}`).toBe(true)
}

// ---- field rules shared by the routes ----------------------------------------------------------------

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A field's verdict: refusals, fine, or a limit the contract leaves open (refused or not, naming `soft`). */
export type Check = Alt[] | 'ok' | { soft: string }

/**
 * A text field: absent allowed when optional; a lone surrogate or U+0000 is a 400. Null is refused when
 * required; for an optional field the contract does not say whether null stands for absent (it says so
 * only of step_id, docs/api.md §3.1), so it is accepted or refused naming the field unless `nullable` is given.
 */
export function textField(
  body: Record<string, unknown>,
  name: string,
  { required = false, nullable = required ? false : 'open', min = 0, max = Infinity, softMax = false, prefix = '' }: { required?: boolean; nullable?: boolean | 'open'; min?: number; max?: number; softMax?: boolean; prefix?: string } = {},
): Check {
  const v = Object.hasOwn(body, name) ? body[name] : undefined
  const field = `${prefix}${name}`
  if (v === undefined) return required ? [v400(field)] : 'ok'
  if (v === null) return nullable === 'open' ? { soft: field } : nullable ? 'ok' : [v400(field)]
  if (typeof v !== 'string' || v.length < min || isBadText(v)) return [v400(field)]
  if (v.length > max) return softMax ? { soft: field } : [v400(field)]
  return 'ok'
}

/** Collects several field checks: the refusals, and the open limits as refusals that may or may not come. */
export function combine(accept: Alt, ...checks: Check[]): Alt[] {
  const hard = checks.filter((c): c is Alt[] => Array.isArray(c)).flat()
  const soft = checks.filter((c): c is { soft: string } => typeof c === 'object' && !Array.isArray(c)).map((c) => v400(c.soft, true))
  return hard.length > 0 ? [...hard, ...soft] : [accept, ...soft]
}
