// JSON that keeps numbers exact. A plain JSON.parse rounds every number to a double, so a nanosecond
// clock in a payload (1772884800123456789) would be stored altered, and two different ones would look
// like the same event. Numbers a double cannot hold exactly — too large, or more precise than it — are kept
// as their exact decimal text (JSON.rawJSON), written in one canonical form, so `9007199254740993`, `9007199254740993.0` and `9.007199254740993e15`
// are one value and JSON.stringify writes it back digit for digit. Pure.

const rawJSON = (JSON as unknown as { rawJSON(text: string): object }).rawJSON
export const isRawJson = (value: unknown): boolean => (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(value)

/**
 * Only text with 16 or more digits in a run (a decimal point may split it) or an exponent can hold such a
 * number: the rest parses plainly. Two expressions, and the exponent's digit before it, because it is faster
 * (every request passes here): letters e are everywhere in JSON text, exponents follow a digit.
 */
const LONG_DIGIT_RUN = /[\d.]{16}/
const EXPONENT = /\d[eE]/
const mayHoldUnsafeNumber = (text: string) => LONG_DIGIT_RUN.test(text) || EXPONENT.test(text)
const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/
/** Beyond this many digits a literal is kept as it was written rather than expanded. */
const MAX_EXPANDED_DIGITS = 400

/** JSON.parse, keeping exact the numbers a double would alter. Throws SyntaxError like JSON.parse. */
export function parseJsonExact(text: string): unknown {
  return mayHoldUnsafeNumber(text) ? JSON.parse(text, keepExact) : JSON.parse(text)
}

function keepExact(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== 'number' || context?.source === undefined) return value
  const exact = canonicalDecimal(context.source)
  // Past 2^53, infinite, or underflowed to 0 — and, below 2^53, a literal finer than a double
  // (4503599627370496.5, 1.00000000000000001), whose double reads back as another decimal.
  const unsafe =
    !Number.isFinite(value) || Math.abs(value) >= 2 ** 53 || (value === 0 && /[1-9]/.test(context.source.split(/[eE]/)[0]!)) || canonicalDecimal(String(value)) !== exact
  return unsafe ? rawJSON(exact) : value
}

/** A number literal in plain decimal, no exponent, no leading or trailing zeros: `1.50e3` → `1500`. */
export function canonicalDecimal(literal: string): string {
  const m = NUMBER.exec(literal)
  if (!m) return literal
  const [, sign, whole, fraction = '', exponent = '0'] = m
  const digits = whole! + fraction
  const point = whole!.length + Number(exponent)
  if (Math.abs(point) > MAX_EXPANDED_DIGITS || digits.length > MAX_EXPANDED_DIGITS) return literal
  const padded = point <= 0 ? '0'.repeat(1 - point) + digits : point > digits.length ? digits + '0'.repeat(point - digits.length) : digits
  const at = Math.max(point, 1)
  const integer = padded.slice(0, at).replace(/^0+(?=\d)/, '')
  const decimals = padded.slice(at).replace(/0+$/, '')
  const body = decimals ? `${integer}.${decimals}` : integer
  return body === '0' ? '0' : `${sign}${body}`
}
