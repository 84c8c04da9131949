// The fleet pages' pure parts (docs/console.md): where a JSON file breaks, how a plan file is judged,
// how the API's plan errors read, what a plan says of itself, sparkline geometry and words, staleness.
import { describe, expect, test } from 'bun:test'
import { findJsonProblem, lineAndColumn } from '../../src/console/json-problem'
import { planDefaults, planError, readPlanFile } from '../../src/console/plan-file'
import { sparkPoints, sparkText, summarize } from '../../src/console/components/sparkline'
import { isStale, seriesOf, STALE_AFTER_MS } from '../../src/console/pages/agents'
import { planEvents } from '../../src/console/pages/missions'

const bytes = (text: string) => new TextEncoder().encode(text)
const refusal = (text: string | Uint8Array) => {
  const result = readPlanFile(typeof text === 'string' ? bytes(text) : text)
  if (result.ok) throw new Error('accepted')
  return result.message
}

describe('findJsonProblem', () => {
  test.each([
    ['{"a": 1,}', 1, 9, 'trailing comma'],
    ['{\n  "events": [\n    {"type": "job.accepted" "timestamp_s": 0}\n  ]\n}', 3, 29, "expected ',' or '}'"],
    ["{'events': []}", 1, 2, 'double quotes'],
    ['{"a":01}', 1, 7, 'cannot start with a 0'],
    ['[1, 2', 1, 6, 'ends inside an array'],
    ['{"a": "line\nbreak"}', 1, 12, 'cannot span lines'],
    ['{"a": NaN}', 1, 7, "unexpected word 'NaN'"],
    ['{"a": 1} trailing', 1, 10, 'after the end of the JSON value'],
    ['{"é😀": 1 x}', 1, 10, "found 'x'"],
    ['{"a" 1}', 1, 6, "expected ':'"],
    ['"\\q"', 1, 2, "cannot follow a '\\'"],
    ['"\\u12G4"', 1, 2, 'four hexadecimal digits'],
    ['{"a": .5}', 1, 7, "cannot start with '.'"],
    ['{"a": 1.}', 1, 8, 'followed by digits'],
  ])('%j → line %d, column %d: %s', (text, line, column, words) => {
    const problem = findJsonProblem(text)
    expect(problem).not.toBeNull()
    expect(problem!.message).toContain(words)
    expect([problem!.line, problem!.column]).toEqual([line, column])
  })

  test('valid JSON has no problem, whatever its shape', () => {
    for (const text of ['{}', '[]', '1e5', '-0.5E+3', '"\\u00e9\\n"', 'null', ' {"a": [1, {"b": [true, false, null]}]} ', JSON.stringify({ x: 'é😀\u2028' })])
      expect(findJsonProblem(text)).toBeNull()
  })

  test('a million open brackets: no stack overflow, the end of the file named', () => {
    const problem = findJsonProblem('['.repeat(1_000_000))
    expect(problem!.message).toContain('ends')
  })

  test('columns count characters, lines count \\n', () => {
    expect(lineAndColumn('ab\ncd😀e', 8)).toEqual({ line: 2, column: 5 })
  })
})

describe('readPlanFile', () => {
  test('a plan object with events is accepted; numbers a double cannot hold are kept exact', () => {
    const result = readPlanFile(bytes('{"events": [{"type": "job.accepted", "timestamp_s": 0, "big": 12345678901234567890}]}'))
    expect(result.ok).toBe(true)
    if (result.ok) expect(JSON.stringify(result.planData)).toContain('12345678901234567890')
  })

  test('a UTF-8 byte order mark is allowed', () => {
    expect(readPlanFile(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"events": [{"type": "a.b", "timestamp_s": 0}]}')])).ok).toBe(true)
  })

  test('each refusal in words', () => {
    expect(refusal(new Uint8Array([0x7b, 0xff, 0xfe]))).toContain('not UTF-8 text')
    expect(refusal('  \n')).toContain('The file is empty')
    expect(refusal('{"events": [\n  {"type": "x" "timestamp_s": 0}\n]}')).toMatch(/^The file is not valid JSON — line 2, column 16: expected ',' or '}'/)
    expect(refusal('[{"type": "job.accepted", "timestamp_s": 0}]')).toContain('The file holds an array, not a JSON object')
    expect(refusal('"events"')).toContain('holds a string')
    expect(refusal('12')).toContain('holds a number')
    expect(refusal('1e400')).toContain('holds a number')
    expect(refusal('null')).toContain('holds the value null')
    expect(refusal('{"steps": []}')).toContain('has no "events" field')
    expect(refusal('{"events": {"type": "a"}}')).toContain('"events" is an object, not an array')
    expect(refusal('{"events": []}')).toContain('"events" array is empty')
    expect(refusal(`{"events": ${'['.repeat(70)}${']'.repeat(70)}}`)).toContain('nested deeper than 63 levels (in its "events" field)')
  })
})

describe('planError', () => {
  test('the API’s event paths in the file’s terms; other messages as they are', () => {
    expect(planError('plan_data.events[3].timestamp_s: must be a number from 0 to 1000000000')).toBe(
      'Event 4 of the plan (events[3]): its "timestamp_s" must be a number from 0 to 1000000000',
    )
    expect(planError('plan_data.events[0]: must be an object')).toBe('Event 1 of the plan (events[0]): must be an object')
    expect(planError('plan_data.events: must be a non-empty array')).toBe("In the plan's events: must be a non-empty array")
    expect(planError('plan_data: must be a JSON object')).toBe('The plan must be a JSON object')
    expect(planError('label: too long')).toBe('label: too long')
  })
})

describe('planDefaults', () => {
  test('the planner’s preset and satellite objects; a preset string; nothing from other shapes', () => {
    expect(planDefaults({ preset: { id: 'p-1', name: 'Preset One' }, satellite: { id: '25544', name: 'ISS' } })).toEqual({
      label: 'Preset One',
      satellite_id: '25544',
      satellite_name: 'ISS',
      preset: 'p-1',
    })
    expect(planDefaults({ preset: 'onboard', satellite: { norad_id: '1' } })).toEqual({ label: 'onboard', satellite_id: '1', satellite_name: undefined, preset: 'onboard' })
    expect(planDefaults({ preset: 5, satellite: [1] })).toEqual({ label: undefined, satellite_id: undefined, satellite_name: undefined, preset: undefined })
  })
})

describe('planEvents', () => {
  test('play order (timestamp_s, ties in file order), every field kept, odd shapes shown rather than dropped', () => {
    const events = planEvents({ events: [{ type: 'b.b', timestamp_s: 5, x: 1 }, { type: 'a.a', timestamp_s: 0, step_id: 's', message: 'm' }, { type: 'c.c', timestamp_s: 5 }, 7] })
    expect(events.map((e) => e.index)).toEqual([1, 3, 0, 2])
    expect(events[0]).toEqual({ index: 1, type: 'a.a', at: 0, stepId: 's', message: 'm', rest: {} })
    expect(events[1]).toEqual({ index: 3, type: '', at: null, stepId: null, message: null, rest: { value: 7 } })
    expect(events[2]!.rest).toEqual({ x: 1 })
    expect(planEvents(null)).toEqual([])
  })
})

describe('sparklines', () => {
  const points = [
    { at: 0, value: 90 },
    { at: 30, value: 80 },
    { at: 60, value: 85 },
  ]
  test('x by time, y from the lowest (bottom) to the highest (top), inside the padding', () => {
    expect(sparkPoints(points, 120, 28)).toEqual([
      [2, 2],
      [60, 26],
      [118, 14],
    ])
  })
  test('one instant: by order; one point: centred; flat: the middle line', () => {
    expect(sparkPoints([{ at: 5, value: 1 }, { at: 5, value: 2 }], 100, 20)).toEqual([
      [2, 18],
      [98, 2],
    ])
    expect(sparkPoints([{ at: 5, value: 1 }], 100, 20)).toEqual([[50, 10]])
    expect(sparkPoints([{ at: 0, value: 3 }, { at: 1, value: 3 }], 100, 20).map(([, y]) => y)).toEqual([10, 10])
  })
  test('the words: latest, lowest, highest', () => {
    expect(sparkText('Battery', '%', summarize(points))).toBe('Battery, last 3 samples: latest 85 %, lowest 80 %, highest 90 %')
    expect(sparkText('Temperature', '°C', summarize([{ at: 0, value: -34.26 }]))).toBe('Temperature, 1 sample: latest -34.3 °C, lowest -34.3 °C, highest -34.3 °C')
    expect(sparkText('Battery', '%', summarize([]))).toBe('Battery: no samples')
  })
  test('seriesOf: newest-first samples become chronological points; missing readings are skipped', () => {
    const samples = [
      { received_at: '2026-03-07T12:01:00Z', battery_percent: 70 },
      { received_at: '2026-03-07T12:00:30Z', temperature_c: 1 },
      { received_at: '2026-03-07T12:00:00Z', battery_percent: 75, temperature_c: null },
    ]
    expect(seriesOf(samples, 'battery_percent').map((p) => p.value)).toEqual([75, 70])
    expect(seriesOf(samples, 'temperature_c').map((p) => p.value)).toEqual([1])
  })
})

test('stale: not seen for more than five minutes', () => {
  const now = Date.parse('2026-03-07T12:10:00Z')
  expect(STALE_AFTER_MS).toBe(300_000)
  expect(isStale('2026-03-07T12:05:00Z', now)).toBe(false)
  expect(isStale('2026-03-07T12:04:59Z', now)).toBe(true)
  expect(isStale('not a time', now)).toBe(false)
})
