// Query-string numbers, strictly: digits only, within bounds, else a 400 naming the parameter.
import { invalid } from '../domain/errors'

export function intParam(
  query: Record<string, string | undefined>,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const text = query[name]
  if (text === undefined) return fallback
  const value = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) throw invalid(name, `must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}`)
  return value
}
