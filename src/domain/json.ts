// JSON input, bounded and exact (docs/limits.md). One linear scan of the text, without recursion, runs
// before anything else touches a value: it refuses nesting deeper than MAX_DEPTH (so every recursive
// function over parsed input, JSON.stringify included, stays bounded) and finds the numbers a double cannot
// hold exactly. Those are kept as their exact decimal text (JSON.rawJSON) in one canonical form, so
// `9007199254740993`, `9007199254740993.0` and `9.007199254740993e15` are one value and JSON.stringify
// writes it back digit for digit; `1e400` and `10e399` are one value too. The parse itself is the native
// JSON.parse, without a reviver (a reviver costs a call per value: 1.2 s on a 14.5 MiB batch). Pure.

const rawJSON = (JSON as unknown as { rawJSON(text: string): object }).rawJSON
export const isRawJson = (value: unknown): boolean => (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(value)

/** The deepest nesting accepted: the body's root value is depth 1, each object or array inside adds 1. */
export const MAX_DEPTH = 64
/**
 * A number is written in plain decimal unless that takes more than this many zeros beyond its significant
 * digits (as JavaScript writes 1e21 in full and 1e22 with an exponent): so its canonical form is never much
 * longer than the literal sent, whatever the exponent (`1e-399` once became 400 characters).
 */
const MAX_PADDING_ZEROS = 21
/** An exponent of more significant digits than this is refused: no value needs it, and none fits a double. */
const MAX_EXPONENT_DIGITS = 15
/**
 * Numbers kept exact per body at most: each costs a few microseconds and objects of its own, so a 16 MiB
 * batch of them would otherwise hold the loop for seconds (measured: 20 000 of them, 65-87 ms). 5 000 is
 * ten per event of a full batch: nanosecond clocks and 64-bit counters fit.
 */
export const MAX_EXACT_NUMBERS = 5_000

/** Why a JSON text is refused before it is parsed: the top-level field that holds the problem, and why. */
export class JsonLimitError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`)
    this.name = 'JsonLimitError'
  }
}

/** A number literal the scan found that a double would alter: where it stands in the text, and its exact value. */
type ExactNumber = { start: number; end: number; canonical: string }

const QUOTE = 34
const BACKSLASH = 92
const OPEN_OBJECT = 123
const CLOSE_OBJECT = 125
const OPEN_ARRAY = 91
const CLOSE_ARRAY = 93
const COMMA = 44
const MINUS = 45

const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 43 || c === MINUS || c === 101 || c === 69

/** Per depth (1-based): whether it is an array. Reused: the scan is synchronous, and allocating cost more than scanning a small body. */
let isArrayAt = new Uint8Array(MAX_DEPTH + 2)

/** The index of the quote that closes the string opening at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  let at = open
  for (;;) {
    at = text.indexOf('"', at + 1)
    if (at < 0) return -1
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return at
  }
}

/**
 * Scans JSON text without building anything: throws JsonLimitError for nesting deeper than `maxDepth` or an
 * absurd exponent, and returns the number literals that need exactness. Text that is not JSON may pass
 * the scan; JSON.parse refuses it next.
 */
function scan(text: string, maxDepth: number, collectExact: boolean): ExactNumber[] {
  const exact: ExactNumber[] = []
  if (maxDepth + 2 > isArrayAt.length) isArrayAt = new Uint8Array(maxDepth + 2)
  const isArray = isArrayAt
  let depth = 0
  let expectKey = false
  // The span of the current top-level key: errors name the field that holds the problem.
  let topKeyStart = 0
  let topKeyEnd = 0
  const judged = new Map<string, string | null>()
  const topField = () => (depth >= 1 && topKeyEnd > topKeyStart ? decodeKey(text, topKeyStart, topKeyEnd) : 'body')
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      if (end < 0) return exact // unterminated: JSON.parse will say so
      if (expectKey) {
        if (depth === 1) {
          topKeyStart = i
          topKeyEnd = end + 1
        }
        expectKey = false
      }
      i = end
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === maxDepth) throw new JsonLimitError(topField(), `is nested deeper than ${maxDepth} levels (the body's root is level 1)`)
      depth++
      isArray[depth] = c === OPEN_ARRAY ? 1 : 0
      expectKey = c === OPEN_OBJECT
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--
      expectKey = false
    } else if (c === COMMA) {
      if (!isArray[depth]) expectKey = true
    } else if (c === MINUS || (c >= 48 && c <= 57)) {
      let end = i + 1
      let exponent = false
      for (let d: number; end < length && isNumberChar((d = text.charCodeAt(end))); end++) if (d === 101 || d === 69) exponent = true
      // Up to 15 characters without an exponent hold at most 15 significant digits: a double keeps them.
      // Where a key is due, a number is not JSON: left as it is, for JSON.parse to refuse.
      if (collectExact && !expectKey && (end - i >= 16 || exponent)) {
        const literal = text.slice(i, end)
        // Hostile bodies repeat one literal thousands of times: each is judged once.
        let canonical = judged.get(literal)
        if (canonical === undefined) judged.set(literal, (canonical = exactText(literal, topField)))
        if (canonical !== null) {
          if (exact.length === MAX_EXACT_NUMBERS)
            throw new JsonLimitError(topField(), `holds more than ${MAX_EXACT_NUMBERS} numbers that a double cannot hold exactly`)
          exact.push({ start: i, end, canonical })
        }
      }
      i = end - 1
    }
  }
  return exact
}

function decodeKey(text: string, start: number, end: number): string {
  try {
    return JSON.parse(text.slice(start, end)) as string
  } catch {
    return 'body'
  }
}

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?)(\d+))?$/
/** JSON's own number grammar: no leading zeros, digits on both sides of a point. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/** The literal's canonical text when a double would alter it, else null (a plain number will do). */
function exactText(literal: string, field: () => string): string | null {
  const m = JSON_NUMBER.test(literal) ? NUMBER.exec(literal) : null
  if (!m) return null // not a JSON number: JSON.parse refuses it
  if (m[5] !== undefined && m[5].replace(/^0+/, '').length > MAX_EXPONENT_DIGITS)
    throw new JsonLimitError(field(), `holds the number ${literal.slice(0, 40)}…, whose exponent is out of range`)
  const exact = canonicalDecimal(literal)
  const value = Number(literal)
  // Past 2^53, infinite, underflowed to 0 — or, below 2^53, a literal finer than a double
  // (4503599627370496.5, 1.00000000000000001), whose double reads back as another decimal.
  const unsafe = !Number.isFinite(value) || Math.abs(value) >= 2 ** 53 || (value === 0 && exact !== '0') || canonicalDecimal(String(value)) !== exact
  return unsafe ? exact : null
}

/**
 * Parses JSON input within the limits: throws JsonLimitError (nesting, exponent) before parsing, and
 * SyntaxError for text that is not JSON. Numbers a double would alter are kept exact.
 */
export function parseJsonExact(text: string, maxDepth = MAX_DEPTH): unknown {
  const exact = scan(text, maxDepth, true)
  if (exact.length === 0) return JSON.parse(text)
  // Each such literal becomes a marker string for the parse, then its exact value wherever that string
  // landed (a duplicate key that JSON.parse let win over it is thereby left alone). Raw text cannot hold
  // U+0000 in a string, so a marker starting with it is ours unless the text escapes one (then a random one).
  const marker = /\\u0000/i.test(text) ? `\u0000${crypto.randomUUID()}#` : '\u0000'
  const escaped = JSON.stringify(marker).slice(1, -1)
  const parts: string[] = []
  // A raw JSON value is immutable: one object serves every place that holds the same number.
  const raws = new Map<string, object>()
  const byMarker = new Map<string, object>()
  let at = 0
  exact.forEach(({ start, end, canonical }, k) => {
    parts.push(text.slice(at, start), `"${escaped}${k}"`)
    let raw = raws.get(canonical)
    if (raw === undefined) raws.set(canonical, (raw = rawJSON(canonical)))
    byMarker.set(`${marker}${k}`, raw)
    at = end
  })
  parts.push(text.slice(at))
  return restoreExact(JSON.parse(parts.join('')), marker, byMarker)
}

/** Puts each number's exact value where its marker landed: one walk, without recursion. */
function restoreExact(root: unknown, marker: string, byMarker: Map<string, object>): unknown {
  const exactOf = (value: unknown) => (typeof value === 'string' && value.startsWith(marker) ? byMarker.get(value) : undefined)
  const top = exactOf(root)
  if (top !== undefined) return top
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const value: unknown = node[i]
        const restored = exactOf(value)
        if (restored !== undefined) node[i] = restored
        else if (typeof value === 'object' && value !== null) stack.push(value)
      }
      continue
    }
    for (const key of Object.keys(node)) {
      const value = (node as Record<string, unknown>)[key]
      const restored = exactOf(value)
      // defineProperty, not assignment: a key named "__proto__" would otherwise set the prototype.
      if (restored !== undefined) Object.defineProperty(node, key, { value: restored, writable: true, enumerable: true, configurable: true })
      else if (typeof value === 'object' && value !== null) stack.push(value)
    }
  }
  return root
}

/** JSON.parse within the depth limit, numbers as doubles: for bodies whose numbers are checked as numbers. */
export function parseJsonBounded(text: string, maxDepth = MAX_DEPTH): unknown {
  scan(text, maxDepth, false)
  return JSON.parse(text)
}

/**
 * A number literal in one canonical form: plain decimal without an exponent or needless zeros (`1.50e3` →
 * `1500`, `-0.0` → `0`, `1e-7` → `0.0000001`) when that pads at most 21 zeros; past that, one digit, a point,
 * the other significant digits and an exponent (`10e399` → `1e400`, `-12.5e500` → `-1.25e501`, `1e-400`).
 */
export function canonicalDecimal(literal: string): string {
  const m = NUMBER.exec(literal)
  if (!m) return literal
  const [, sign, whole, fraction = '', expSign, expDigits = '0'] = m
  let digits = whole! + fraction
  let point = whole!.length + (expSign === '-' ? -1 : 1) * Number(expDigits)
  const leading = digits.match(/^0*/)![0].length
  if (leading === digits.length) return '0'
  digits = digits.slice(leading).replace(/0+$/, '')
  point -= leading
  const padding = point > digits.length ? point - digits.length : point <= 0 ? 1 - point : 0
  if (padding > MAX_PADDING_ZEROS) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    return `${sign}${mantissa}e${point - 1}`
  }
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`
  return `${sign}${body}`
}
