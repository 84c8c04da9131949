// Where a JSON text stops being JSON, in words a person can act on: "line 3, column 14: expected ',' or
// '}' after a property's value, found '"'". The native parser's message names no position (Bun's says
// only "JSON Parse error: Unexpected identifier"), so the plan upload (docs/console.md "Missions and
// plans") asks this scanner, which follows RFC 8259's grammar without recursion: a file of a million
// `[` cannot overflow the stack. Pure; used on the server only, after JSON.parse has refused the text.

export type JsonProblem = { line: number; column: number; message: string }

const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't'])
const HEX = /^[0-9a-fA-F]{4}$/
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

/** How a character is named in a message: `'x'`, or its code point when it is invisible. */
export function describeChar(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the file'
  const code = ch.codePointAt(0)!
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0) || code === 0xfeff || code === 0x2028 || code === 0x2029)
    return `the invisible character U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  return `'${String.fromCodePoint(code)}'`
}

/** Line and column (both from 1; columns count characters, not UTF-16 units) of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: [...text.slice(lineStart, offset)].length + 1 }
}

/** The first place `text` breaks the JSON grammar, or null when it is JSON. */
export function findJsonProblem(text: string): JsonProblem | null {
  const at = (offset: number, message: string): JsonProblem => ({ ...lineAndColumn(text, offset), message })
  const n = text.length
  let i = 0
  /** The open containers, innermost last. */
  const open: Array<'{' | '['> = []
  let mode: 'value' | 'key' | 'after' = 'value'
  const skipWhitespace = () => {
    while (i < n && WHITESPACE.has(text[i]!)) i++
  }
  /** Reads the string whose quote is at i; returns a problem, or null with i past its closing quote. */
  const readString = (what: string): JsonProblem | null => {
    const start = i
    i++
    for (;;) {
      if (i >= n) return at(start, `${what} starts here but is never closed with a '"'`)
      const ch = text[i]!
      if (ch === '"') {
        i++
        return null
      }
      if (ch === '\\') {
        const next = text[i + 1]
        if (next === 'u') {
          if (!HEX.test(text.slice(i + 2, i + 6))) return at(i, "'\\u' must be followed by four hexadecimal digits")
          i += 6
          continue
        }
        if (next === undefined || !ESCAPES.has(next)) return at(i, `${describeChar(next)} cannot follow a '\\' in a string (write '\\\\' for a backslash)`)
        i += 2
        continue
      }
      if (ch.charCodeAt(0) < 0x20)
        return at(i, `${describeChar(ch)} cannot stand inside a string${ch === '\n' ? " (a string cannot span lines: write '\\n')" : ''}`)
      i++
    }
  }

  for (;;) {
    skipWhitespace()
    if (mode === 'value') {
      const ch = text[i]
      if (ch === undefined) return at(i, open.length === 0 ? 'the file is empty: expected a JSON value' : 'the file ends where a value was expected')
      if (ch === '{') {
        i++
        skipWhitespace()
        if (text[i] === '}') {
          i++
          mode = 'after'
        } else {
          open.push('{')
          mode = 'key'
        }
        continue
      }
      if (ch === '[') {
        i++
        skipWhitespace()
        if (text[i] === ']') {
          i++
          mode = 'after'
        } else open.push('[')
        continue
      }
      if (ch === '"') {
        const problem = readString('a string')
        if (problem) return problem
        mode = 'after'
        continue
      }
      if (ch === '-' || (ch >= '0' && ch <= '9')) {
        NUMBER.lastIndex = i
        const number = NUMBER.exec(text)
        if (!number) return at(i, "a malformed number: a '-' must be followed by digits")
        const end = i + number[0].length
        const rest = text[end]
        if (rest !== undefined && /[0-9.eE+-]/.test(rest))
          return at(
            end,
            /^-?0$/.test(number[0]) && rest >= '0' && rest <= '9'
              ? 'a number cannot start with a 0 followed by more digits'
              : "a malformed number: a '.', an 'e' and its sign must each be followed by digits",
          )
        i = end
        mode = 'after'
        continue
      }
      const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i, i + 64))?.[0]
      if (word === 'true' || word === 'false' || word === 'null') {
        i += word.length
        mode = 'after'
        continue
      }
      if (word !== undefined)
        return at(i, `unexpected word '${word}': strings need double quotes, and the only bare words are true, false and null`)
      if (ch === "'") return at(i, "strings need double quotes (\"), not single quotes (')")
      if (ch === '+' || ch === '.') return at(i, `a number cannot start with '${ch}'`)
      return at(i, `expected a value (an object, array, string, number, true, false or null), found ${describeChar(ch)}`)
    }
    if (mode === 'key') {
      const ch = text[i]
      if (ch !== '"') {
        if (ch === undefined) return at(i, "the file ends inside an object: expected a property name or '}'")
        if (ch === "'") return at(i, 'property names need double quotes ("), not single quotes')
        return at(i, `expected a property name in double quotes, found ${describeChar(ch)}`)
      }
      const problem = readString('a property name')
      if (problem) return problem
      skipWhitespace()
      if (text[i] !== ':') return at(i, `expected ':' after the property name, found ${describeChar(text[i])}`)
      i++
      mode = 'value'
      continue
    }
    // After a value: the end of the file, a comma, or the close of its container.
    const inside = open[open.length - 1]
    const ch = text[i]
    if (inside === undefined) return ch === undefined ? null : at(i, `unexpected ${describeChar(ch)} after the end of the JSON value`)
    const close = inside === '{' ? '}' : ']'
    if (ch === ',') {
      i++
      skipWhitespace()
      if (text[i] === close) return at(i, `a trailing comma before '${close}' (remove the last ',')`)
      mode = inside === '{' ? 'key' : 'value'
      continue
    }
    if (ch === close) {
      i++
      open.pop()
      continue
    }
    const where = inside === '{' ? "after a property's value" : 'after an array item'
    if (ch === undefined) return at(i, `the file ends ${inside === '{' ? 'inside an object' : 'inside an array'}: expected ',' or '${close}'`)
    return at(i, `expected ',' or '${close}' ${where}, found ${describeChar(ch)}`)
  }
}
