// Telemetry samples (docs/api.md §4): only the contract's fields, each with its documented type, are kept. Pure.

const NUMBER_FIELDS = ['cpu_percent', 'memory_mb', 'battery_percent', 'temperature_c'] as const

export type Position = { lat: number; lon: number; altitude_km: number; in_eclipse: boolean }
export type TelemetrySample = {
  agent_id?: string
  status?: string
  timestamp?: string
  cpu_percent?: number | null
  memory_mb?: number | null
  battery_percent?: number | null
  temperature_c?: number | null
  position?: Position | null
  compute_capacity?: number | null
}

/** The object's own enumerable fields only: a key inherited through a prototype is not part of the input. */
const ownFields = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : null
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max

/**
 * The sample built field by field from `input`: unknown fields (and unknown `position` keys) are dropped,
 * so a sample stays a few hundred bytes whatever was sent; a field of the wrong type, or a number that is
 * not finite, is dropped too. Requests are validated before this (a wrong type there is a 400); the same
 * function reads back stored samples, which may predate the rule.
 */
export function pickTelemetry(input: unknown): TelemetrySample {
  const sample: TelemetrySample = {}
  const value = ownFields(input)
  if (!value) return sample
  if (isText(value.agent_id, 128)) sample.agent_id = value.agent_id
  if (isText(value.status, 32)) sample.status = value.status
  if (isText(value.timestamp, 64)) sample.timestamp = value.timestamp
  for (const field of NUMBER_FIELDS) {
    const number = value[field]
    if (number === null || isFiniteNumber(number)) sample[field] = number
  }
  const position = ownFields(value.position)
  if (value.position === null) sample.position = null
  else if (position && isFiniteNumber(position.lat) && isFiniteNumber(position.lon) && isFiniteNumber(position.altitude_km) && typeof position.in_eclipse === 'boolean')
    sample.position = { lat: position.lat, lon: position.lon, altitude_km: position.altitude_km, in_eclipse: position.in_eclipse }
  if (value.compute_capacity === null || isFiniteNumber(value.compute_capacity)) sample.compute_capacity = value.compute_capacity
  return sample
}
