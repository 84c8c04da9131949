// The incremental timeline builder (docs/console.md "Deployment page and timeline"): fed one event at a
// time, in any arrival order, with snapshots taken along the way, it gives the model the whole list gives
// (and the model as it was built before the builder, test/console/timeline-reference.ts); a snapshot is
// never changed by events added after it; a lane that did not change is the same object.
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { buildTimeline, TimelineBuilder, type TimelineEvent } from '../../src/console/components/timeline-model'
import { referenceTimeline } from './timeline-reference'

const START = Date.parse('2026-03-07T12:00:00Z')
const at = (s: number) => new Date(START + s * 1000).toISOString()

const TYPES = [
  'step.started',
  'step.completed',
  'step.failed',
  'step.progress',
  'eclipse_step.started',
  'eclipse_step.completed',
  'transfer.started',
  'transfer.completed',
  'transfer.progress',
  'transfer.pass_started',
  'transfer.pass_completed',
  'constellation.step_started',
  'constellation.step_completed',
  'placement.decided',
  'checkpoint.saved',
  'job.accepted',
  'job.completed',
  'job.failed',
]

const payload = fc.record(
  {
    location: fc.constantFrom('onboard', 'ground', 'elsewhere'),
    percent: fc.integer({ min: -10, max: 120 }),
    ground_station: fc.constantFrom('gs-a', 'gs-b', 'gs-c'),
    station_name: fc.constantFrom('Alpha', 'Beta'),
    duration_s: fc.integer({ min: 0, max: 30 }),
  },
  { requiredKeys: [] },
)

const eventOf = (types: string[], steps: (string | null)[]): fc.Arbitrary<TimelineEvent> =>
  fc.record({
    event_type: fc.constantFrom(...types),
    step_id: fc.constantFrom(...steps),
    // Few instants, so that ties (the arrival order decides) are common; now and then one without a time.
    event_timestamp: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 40 }).map(at) }, { weight: 1, arbitrary: fc.constant('never') }),
    payload,
  })
const event = eventOf(TYPES, ['a', 'b', 'c', 'down', null])
/** Passes and runs crowded in one lane: several open at once, closed by station or by recency. */
const crowded = eventOf(['transfer.pass_started', 'transfer.pass_completed', 'step.started', 'step.completed', 'step.failed', 'step.progress', 'transfer.started', 'transfer.progress'], ['down'])

/** The events in arrival order, and where snapshots are taken along the way. */
const arrivals = fc.tuple(fc.oneof(fc.array(event, { maxLength: 60, size: 'max' }), fc.array(crowded, { maxLength: 40, size: 'max' })), fc.array(fc.nat(), { maxLength: 6 }))

const options = fc.record({ final: fc.boolean(), truncated: fc.boolean() })

describe('timeline builder', () => {
  test('one event at a time, in any order, snapshots between: the model of the whole list, and the model as it was', () => {
    fc.assert(
      fc.property(arrivals, options, ([events, cuts], opts) => {
        const builder = new TimelineBuilder()
        const stops = new Set(cuts.map((c) => (events.length === 0 ? 0 : c % events.length)))
        const kept: { model: ReturnType<TimelineBuilder['snapshot']>; copy: unknown }[] = []
        events.forEach((e, i) => {
          builder.add(e)
          if (stops.has(i)) {
            const model = builder.snapshot(opts)
            kept.push({ model, copy: structuredClone(model) })
          }
        })
        const model = builder.snapshot(opts)
        expect(model).toEqual(buildTimeline(events, opts))
        if (!opts.truncated) expect({ ...model, truncated: undefined }).toEqual({ ...referenceTimeline(events, opts), truncated: undefined })
        // Earlier snapshots were not touched by what came after them.
        for (const { model, copy } of kept) expect(model).toEqual(copy as typeof model)
      }),
      { seed: 10, numRuns: 400 },
    )
  })

  test('a list added in one go, then more in and out of order', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), fc.array(event, { maxLength: 20 }), (first, more) => {
        const builder = new TimelineBuilder()
        builder.addAll(first)
        for (const e of more) builder.add(e)
        expect(builder.snapshot()).toEqual(buildTimeline([...first, ...more]))
        expect(builder.count).toBe(first.length + more.length)
      }),
      { seed: 11, numRuns: 200 },
    )
  })

  test('a lane that did not change is the same object in the next snapshot; one still open is remade', () => {
    const builder = new TimelineBuilder()
    builder.addAll([
      { event_type: 'step.started', step_id: 'done', event_timestamp: at(0) },
      { event_type: 'step.completed', step_id: 'done', event_timestamp: at(5) },
      { event_type: 'step.started', step_id: 'open', event_timestamp: at(6) },
    ])
    const before = builder.snapshot()
    builder.add({ event_type: 'checkpoint.saved', step_id: 'other', event_timestamp: at(9) })
    const after = builder.snapshot()
    expect(after.lanes[0]).toBe(before.lanes[0]!)
    expect(after.lanes[1]).not.toBe(before.lanes[1]!)
    expect(after.lanes[1]!.bars[0]).toMatchObject({ start: 6, end: 9, state: 'running', open: true })
    expect(before.lanes[1]!.bars[0]).toMatchObject({ end: 6 })
    expect(after.lanes.map((l) => l.step)).toEqual(['done', 'open', 'other'])
  })

  test('an event before the first moves the origin: everything is placed again', () => {
    const builder = new TimelineBuilder()
    builder.add({ event_type: 'step.started', step_id: 'a', event_timestamp: at(10) })
    builder.add({ event_type: 'step.completed', step_id: 'a', event_timestamp: at(20) })
    builder.add({ event_type: 'job.accepted', event_timestamp: at(0) })
    const model = builder.snapshot()
    expect(model.originMs).toBe(START)
    expect(model.lanes[0]!.bars.map((b) => [b.start, b.end, b.state])).toEqual([[10, 20, 'completed']])
    expect(model.markers).toEqual([{ kind: 'accepted', at: 0 }])
  })

  test('20 000 events one at a time with a snapshot every 50, and passes reopened by station', () => {
    // (What it costs is a figure of `bun test/bench/timeline.ts`, not a timed assertion.)
    const builder = new TimelineBuilder()
    for (let i = 0; i < 20_000; i++) {
      const type = i % 4 === 0 ? 'transfer.pass_started' : i % 4 === 1 ? 'transfer.pass_completed' : i % 4 === 2 ? 'step.started' : 'step.completed'
      builder.add({ event_type: type, step_id: i % 4 < 2 ? 'down' : `s${i >> 2}`, event_timestamp: at(i), payload: { ground_station: `gs-${i % 7}` } })
      if (i % 50 === 0) builder.snapshot()
    }
    const model = builder.snapshot()
    expect(model.lanes.length).toBe(5001)
    expect(model.lanes[0]!.passes.length).toBe(5000)
  })
})
