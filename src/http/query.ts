// Query-string numbers, strictly: digits only, within bounds, else a 400 naming the parameter.
import { invalid } from '../domain/errors'

export function intParam(
  query: Record<string, string | undefined>,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const text = query[name]
  if (text === undefined) return fallback
  // Any run of digits reads as a number; one past 2^53 - 1 reads as 2^53 or more, so the bound catches it.
  const value = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= min && value <= max)) throw invalid(name, `must be an integer from ${min} to ${max}`)
  return value
}
