// Checks request values against `t` schemas, compiled once each, and names the first offending field.
// A schema may carry `error` (as with Elysia's t) to word the message. Values are never coerced: "5" is not a number (docs/api.md §0).
// Every string a schema declares is an identifier or text field: no lone surrogate, no U+0000 (docs/limits.md).
// A schema marked `secret: true` (a password) may hold U+0000, but no lone surrogate: it would be hashed as U+FFFD.
import { Kind, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { ValueError } from '@sinclair/typebox/errors'
import { invalid } from '../domain/errors'
import { requireCleanText, requireWellFormed } from '../domain/text'

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

export function validate<T extends TSchema>(schema: T, value: unknown, root = 'body'): Static<T> {
  let check = compiled.get(schema)
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)))
  if (check.Check(value)) {
    checkTexts(schema, value, '')
    return value as Static<T>
  }
  const found = check.Errors(value).First()
  const first = found && deepest(found)
  const field = first?.path ? first.path.slice(1).replaceAll('/', '.') : root
  const rule = (first?.schema as { error?: string } | undefined)?.error ?? first?.message.replace(/^Expected/, 'expected') ?? 'is invalid'
  throw invalid(field, rule)
}

/** For a union (`{…} | null`), the branch error that reaches deepest names the field best. */
function deepest(error: ValueError): ValueError {
  let best = error
  for (const branch of error.errors ?? []) {
    const candidate = branch.First()
    if (candidate && candidate.path.length > best.path.length) best = deepest(candidate)
  }
  return best
}

/** Checks the strings of a valid value where the schema declares them; `t.Unknown()` values are not text. */
function checkTexts(schema: TSchema, value: unknown, field: string) {
  if (schema[Kind] === 'Unknown') return
  if (typeof value === 'string') {
    return (schema as { secret?: boolean }).secret ? requireWellFormed(value, field || 'body') : requireCleanText(value, field || 'body')
  }
  const properties = (schema as { properties?: Record<string, TSchema> }).properties
  if (properties && typeof value === 'object' && value !== null)
    for (const [key, property] of Object.entries(properties))
      if (Object.hasOwn(value, key)) checkTexts(property, (value as Record<string, unknown>)[key], field ? `${field}.${key}` : key)
  for (const branch of (schema as { anyOf?: TSchema[] }).anyOf ?? []) checkTexts(branch, value, field)
}
