import { describe, expect, test } from 'bun:test'
import { pickTelemetry } from '../../src/domain/telemetry'

describe('pickTelemetry', () => {
  test('keeps the contract’s fields in the contract’s order, and nothing else', () => {
    const sample = pickTelemetry({
      compute_capacity: 1,
      junk: 'x',
      position: { in_eclipse: true, altitude_km: 3, lon: 2, lat: 1, speed: 7 },
      status: 'idle',
      agent_id: 'sat-1',
      timestamp: '2026-03-07T12:00:00Z',
      __proto__: { cpu_percent: 5 },
    })
    expect(JSON.stringify(sample)).toBe(
      '{"agent_id":"sat-1","status":"idle","timestamp":"2026-03-07T12:00:00Z","position":{"lat":1,"lon":2,"altitude_km":3,"in_eclipse":true},"compute_capacity":1}',
    )
  })

  test('drops values of the wrong type, numbers that are not finite, and overlong text; keeps null', () => {
    expect(
      pickTelemetry({
        agent_id: 'a'.repeat(129),
        status: 7,
        timestamp: 't'.repeat(65),
        cpu_percent: Number.NaN,
        memory_mb: Number.POSITIVE_INFINITY,
        battery_percent: '50',
        temperature_c: null,
        position: { lat: 1, lon: 2, altitude_km: Number.NaN, in_eclipse: false },
        compute_capacity: [1],
      }),
    ).toEqual({ temperature_c: null })
    expect(pickTelemetry({ position: null })).toEqual({ position: null })
    expect(pickTelemetry({ position: { lat: 1, lon: 2, altitude_km: 3 } })).toEqual({})
  })

  test.each([null, 'text', 5, [1, 2], true])('%p is no sample at all', (value) => {
    expect(pickTelemetry(value)).toEqual({})
  })
})
