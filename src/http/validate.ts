// Checks request values against `t` schemas, compiled once each, and names the first offending field.
// A schema may carry `error` (as with Elysia's t) to word the message. Values are never coerced: "5" is not a number (api.md §0).
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { invalid } from '../domain/errors'

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>()

export function validate<T extends TSchema>(schema: T, value: unknown, root = 'body'): Static<T> {
  let check = compiled.get(schema)
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)))
  if (check.Check(value)) return value as Static<T>
  const first = check.Errors(value).First()
  const field = first?.path ? first.path.slice(1).replaceAll('/', '.') : root
  const rule = (first?.schema as { error?: string } | undefined)?.error ?? first?.message.replace(/^Expected/, 'expected') ?? 'is invalid'
  throw invalid(field, rule)
}
