// What a GET's query string may get (docs/api.md §0 "Input limits" and "Lists", §3.2), worked out from the URL
// and headers alone, with what docs/http.md and docs/lists.md decide where the contract is silent allowed
// beside the other readings: the 8 KiB query bound, the encoding checks, which parameter a refusal names.
import { parseTimestamp } from '../../src/domain/time'
import { v400, type Alt } from './oracle'

/** docs/api.md §0: a request line plus headers over 64 KiB is a JSON 431. */
export const HEAD_LIMIT = 64 * 1024
/** docs/http.md: a query string over 8 KiB is a 400 BAD_REQUEST (the contract sets no bound of its own). */
export const QUERY_LIMIT = 8 * 1024
/** The head is counted as the server sees an in-process request; this close to the limit either answer is allowed. */
const HEAD_MARGIN = 64

/** A parameter's verdict: refusals, fine, or refusals that may or may not come (the contract is silent). */
export type QCheck = Alt[] | 'ok' | { soft: Alt[] }
/** A parameter a route reads, judged on its decoded value (null when it is not valid percent-encoded UTF-8). */
export type ParamRule = (value: string | null) => QCheck
export type QueryRules = {
  params: Record<string, ParamRule>
  /** Rules over several parameters at once, given the decoded names present. */
  together?: (present: Set<string>) => QCheck
}

const BAD_REQUEST: Alt = { status: 400, code: 'BAD_REQUEST' }

/** Form-style decoding (`+` is a space), as routes read a query; null for a bad escape or invalid UTF-8. */
export function decodeForm(text: string): string | null {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return null
  }
}

/** `METHOD SP target SP HTTP/1.1 CRLF`, a `name: value CRLF` per header, and the blank line. */
export function headBytes(method: string, target: string, headers: Record<string, string>): number {
  let size = method.length + 1 + target.length + ' HTTP/1.1\r\n'.length
  for (const [name, value] of Object.entries(headers)) size += name.length + value.length + 4
  return size + 2
}

/** A digit run within [min, max]; anything else (`+1`, `1.0`, `1e3`, ` 1`, empty, past the bound) is 400 naming it. */
export const intRule = (name: string, min: number, max: number): ParamRule => (v) =>
  v !== null && /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? 'ok' : [v400(name)]

/** An opaque cursor: nothing the fuzz writes is a next_cursor the server served, so it is 400 naming cursor. */
export const garbageCursor: ParamRule = () => [v400('cursor')]

/** A timestamp filter (docs/api.md §0: a timestamp without an offset, or an impossible date, is a 400). */
export const timestampRule = (name: string): ParamRule => (v) => (v !== null && parseTimestamp(v) !== null ? 'ok' : [v400(name)])

/** docs/events.md: the type filter is an event type (docs/api.md §3.1) or a dotted prefix then `.*`, at most 64 characters. */
export const eventTypeRule: ParamRule = (v) =>
  v !== null && v.length <= 64 && (/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(v) || /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$/.test(v)) ? 'ok' : [v400('type')]

/** One value of a fixed list. */
export const enumRule = (name: string, values: string[]): ParamRule => (v) => (v !== null && values.includes(v) ? 'ok' : [v400(name)])

/** A comma list of values of a fixed list (docs/api.md §0: `status=running,failed`). */
export const enumListRule = (name: string, values: string[]): ParamRule => (v) => (v !== null && v.split(',').every((x) => values.includes(x)) ? 'ok' : [v400(name)])

/** A text filter: any text; one that is not UTF-8 or holds U+0000 may be refused. */
export const textRule = (name: string): ParamRule => (v) => (v === null || v.includes('\u0000') ? { soft: [v400(name)] } : 'ok')

/** docs/api.md §0: `cursor` and `offset` together are 400 (which of the two the message names is open). */
export const cursorWithOffset = (present: Set<string>): QCheck => (present.has('cursor') && present.has('offset') ? [v400('cursor'), v400('offset')] : 'ok')

/**
 * The replies allowed for `GET target` with these headers, `accept` when nothing is wrong. Refusals the
 * contract requires come with the ones it leaves open (a server may name any of several problems).
 */
export function judgeQuery(target: string, headers: Record<string, string>, rules: QueryRules, accept: Alt = { status: 200 }): Alt[] {
  const url = new URL(`http://localhost${target}`)
  const head = headBytes('GET', url.pathname + url.search, headers)
  if (head > HEAD_LIMIT + HEAD_MARGIN) return [{ status: 431, code: 'BAD_REQUEST' }]
  const hard: Alt[] = []
  const soft: Alt[] = []
  const add = (check: QCheck) => {
    if (Array.isArray(check)) hard.push(...check)
    else if (check !== 'ok') soft.push(...check.soft)
  }
  if (head > HEAD_LIMIT - HEAD_MARGIN) soft.push({ status: 431, code: 'BAD_REQUEST' })
  const query = url.search.slice(1)
  if (query.length > QUERY_LIMIT) soft.push(BAD_REQUEST)
  const seen = new Set<string>()
  const present = new Set<string>()
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawName = eq < 0 ? part : part.slice(0, eq)
    const name = decodeForm(rawName)
    const value = decodeForm(eq < 0 ? '' : part.slice(eq + 1))
    const key = name ?? rawName
    // docs/api.md §0: a query parameter given twice is 400, read by the route or not.
    if (seen.has(key)) hard.push(BAD_REQUEST, v400(key))
    seen.add(key)
    // A name that does not decode is no parameter of any route: ignored, or refused naming it as sent.
    if (name === null || name.includes('\u0000')) {
      soft.push(v400(rawName))
      continue
    }
    present.add(name)
    const rule = Object.hasOwn(rules.params, name) ? rules.params[name]! : undefined
    // A value that does not decode, or holds U+0000: refused naming its parameter (docs/http.md), or, for
    // a parameter no route reads, ignored as the contract says (docs/api.md §3.2).
    if (value === null || value.includes('\u0000')) soft.push(v400(name))
    if (rule) add(rule(value))
  }
  if (rules.together) add(rules.together(present))
  return hard.length > 0 ? [...hard, ...soft] : [accept, ...soft]
}
