// The deployment timeline's pure parts: the model (events → lanes, bars, passes, markers, extent) from a
// table of cases, odd input included; the time window's moves; the SVG as the server renders it.
import { describe, expect, test } from 'bun:test'
import { renderToString } from 'preact-render-to-string'
import examplePlan from '../../src/examples/onboard-ml-inference.json'
import { matchesFilters } from '../../src/console/client/deployment'
import { TimelineChart } from '../../src/console/components/timeline'
import { buildTimeline, timelineEventOf, type TimelineEvent, type TimelineModel } from '../../src/console/components/timeline-model'
import { axisTicks, clampView, fitView, followView, MIN_SPAN, panView, tickStep, zoomView } from '../../src/console/components/timeline-view'

const START = Date.parse('2026-03-07T12:00:00Z')
const at = (seconds: number) => new Date(START + seconds * 1000).toISOString()
let n = 0
const ev = (type: string, seconds: number, step: string | null = null, payload: unknown = {}): TimelineEvent => ({
  id: `evt-${++n}`,
  event_type: type,
  step_id: step,
  payload,
  event_timestamp: at(seconds),
})

/** The example plan as the simulated replay stores it (docs/api.md §5): mission time from START, the rest in the payload. */
export function examplePlanEvents(): TimelineEvent[] {
  return examplePlan.events.map((e: Record<string, unknown>, i) => {
    const { type, timestamp_s, step_id, ...payload } = e
    return { id: `evt-${i}`, event_type: type, step_id: step_id ?? null, payload, event_timestamp: at(timestamp_s as number) }
  })
}

const lane = (model: TimelineModel, step: string) => model.lanes.find((l) => l.step === step)!
const bars = (model: TimelineModel, step: string) => lane(model, step).bars.map((b) => [b.start, b.end, b.state, b.placement, b.progress])

type Case = { name: string; events: TimelineEvent[]; final?: boolean; check(model: TimelineModel): void }

const CASES: Case[] = [
  {
    name: 'the example plan: four lanes by placement, two passes with their stations, accepted and completed',
    events: examplePlanEvents(),
    check(m) {
      expect(m.placed).toBe(28)
      expect(m.extent).toEqual({ start: 0, end: 1382 })
      expect(m.lanes.map((l) => [l.step, l.placement])).toEqual([
        ['capture', 'onboard'],
        ['preprocess', 'onboard'],
        ['inference', 'onboard'],
        ['downlink', 'ground'],
      ])
      expect(bars(m, 'capture')).toEqual([[2, 30, 'completed', 'onboard', 100]])
      expect(bars(m, 'inference')).toEqual([[160, 520, 'completed', 'onboard', 100]])
      expect(bars(m, 'downlink')).toEqual([[540, 1375, 'completed', 'transfer', 100]])
      expect(lane(m, 'downlink').passes.map((p) => [p.start, p.end, p.station, p.open])).toEqual([
        [900, 1010, 'Svalbard', false],
        [1290, 1370, 'Fairbanks', false],
      ])
      expect(lane(m, 'preprocess').ticks).toEqual([{ at: 153, type: 'checkpoint.saved' }])
      expect(lane(m, 'downlink').ticks).toEqual([{ at: 525, type: 'security.encrypted' }])
      expect(m.markers).toEqual([
        { kind: 'accepted', at: 0 },
        { kind: 'completed', at: 1382 },
      ])
    },
  },
  {
    name: 'progress fills a running bar; a run that never completes is open to the last event',
    events: [ev('job.accepted', 0), ev('step.started', 10, 'a', { location: 'ground' }), ev('step.progress', 20, 'a', { percent: 40 }), ev('telemetry.sample', 90)],
    check(m) {
      expect(bars(m, 'a')).toEqual([[10, 90, 'running', 'ground', 40]])
      expect(lane(m, 'a').bars[0]!.open).toBe(true)
    },
  },
  {
    name: 'the same, once the deployment is terminal: unfinished, not running',
    events: [ev('step.started', 0, 'a'), ev('step.progress', 5, 'a', { percent: 250 })],
    final: true,
    check(m) {
      expect(bars(m, 'a')).toEqual([[0, 5, 'unfinished', 'unknown', 100]])
    },
  },
  {
    name: 'completed without started: the start from duration_s (before the first event), else a point',
    events: [ev('job.accepted', 0), ev('step.completed', 30, 'a', { duration_s: 50, location: 'onboard' }), ev('step.completed', 40, 'b')],
    check(m) {
      expect(bars(m, 'a')).toEqual([[-20, 30, 'completed', 'onboard', 100]])
      expect(lane(m, 'a').bars[0]!.unstarted).toBe(true)
      expect(bars(m, 'b')).toEqual([[40, 40, 'completed', 'unknown', 100]])
      expect(m.extent).toEqual({ start: -20, end: 40 })
    },
  },
  {
    name: 'repeated runs of a step: one bar each; started again while open cuts the first short',
    events: [
      ev('step.started', 0, 'a'),
      ev('step.completed', 10, 'a'),
      ev('step.started', 20, 'a'),
      ev('step.completed', 30, 'a'),
      ev('step.started', 40, 'a'),
      ev('step.started', 50, 'a'),
      ev('step.failed', 60, 'a'),
    ],
    check(m) {
      expect(bars(m, 'a').map(([s, e, state]) => [s, e, state])).toEqual([
        [0, 10, 'completed'],
        [20, 30, 'completed'],
        [40, 50, 'interrupted'],
        [50, 60, 'failed'],
      ])
    },
  },
  {
    name: 'placement from placement.decided, or from the step event itself; transfers their own colour',
    events: [
      ev('placement.decided', 0, 'a', { location: 'ground' }),
      ev('step.started', 1, 'a'),
      ev('eclipse_step.started', 2, 'b', { location: 'onboard' }),
      ev('eclipse_step.completed', 3, 'b'),
      ev('isl_transfer.started', 4, 'c'),
      ev('isl_transfer.completed', 5, 'c'),
      ev('window_step.started', 6, 'd', { location: 'somewhere' }),
      ev('pass_step.started', 7, 'e'),
      ev('pass_step.completed', 8, 'e', { location: 'ground' }),
    ],
    check(m) {
      expect(m.lanes.map((l) => [l.step, l.placement, l.bars.map((b) => `${b.family}:${b.placement}:${b.state}`)])).toEqual([
        ['a', 'ground', ['step:ground:running']],
        ['b', 'onboard', ['eclipse_step:onboard:completed']],
        ['c', 'transfer', ['isl_transfer:transfer:completed']],
        ['d', 'unknown', ['window_step:unknown:running']],
        ['e', 'ground', ['pass_step:ground:completed']],
      ])
    },
  },
  {
    name: 'markers for accepted, completed and failed, wherever they are',
    events: [ev('job.accepted', 0), ev('job.failed', 5, 'x'), ev('job.completed', 9)],
    check(m) {
      expect(m.markers.map((k) => [k.kind, k.at])).toEqual([
        ['accepted', 0],
        ['failed', 5],
        ['completed', 9],
      ])
    },
  },
  {
    name: 'arrival order (the stream) gives the same model as mission order',
    events: [ev('step.completed', 30, 'a'), ev('job.accepted', 0), ev('step.started', 10, 'a')],
    check(m) {
      expect(m.originMs).toBe(START)
      expect(bars(m, 'a')).toEqual([[10, 30, 'completed', 'unknown', 100]])
    },
  },
  {
    name: 'missing, unreadable and non-text timestamps are skipped and counted; non-objects too',
    events: [
      ev('job.accepted', 0),
      { event_type: 'step.started', step_id: 'a' },
      { event_type: 'step.started', step_id: 'a', event_timestamp: 'yesterday' },
      { event_type: 'step.started', step_id: 'a', event_timestamp: 1_772_884_800 },
      null as unknown as TimelineEvent,
      'step.started' as unknown as TimelineEvent,
      ev('step.started', 5, 'b'),
    ],
    check(m) {
      expect(m.placed).toBe(2)
      expect(m.skipped).toBe(5)
      expect(m.lanes.map((l) => l.step)).toEqual(['b'])
    },
  },
  {
    name: 'timestamps before 1970 and far apart: mission time from the earliest, finite',
    events: [
      { ...ev('job.accepted', 0), event_timestamp: '1000-01-01T00:00:00Z' },
      { ...ev('step.started', 0, 'a'), event_timestamp: '1969-12-31T23:59:59Z' },
      { ...ev('step.completed', 0, 'a'), event_timestamp: '9999-12-31T23:59:59.999999Z' },
    ],
    check(m) {
      expect(m.originMs).toBe(Date.parse('1000-01-01T00:00:00Z'))
      expect(Number.isFinite(m.extent.end)).toBe(true)
      expect(m.extent.end).toBeGreaterThan(2.8e11)
      const [bar] = lane(m, 'a').bars
      expect(bar!.start).toBeCloseTo((Date.parse('1969-12-31T23:59:59Z') - Date.parse('1000-01-01T00:00:00Z')) / 1000)
      expect(bar!.state).toBe('completed')
    },
  },
  {
    name: 'payloads that are not objects are read as empty; wrong-typed values are ignored',
    events: [
      ev('placement.decided', 0, 'a', 'onboard'),
      ev('step.started', 1, 'a', ['location', 'ground']),
      ev('step.progress', 2, 'a', { percent: '50' }),
      ev('step.progress', 3, 'a', 42),
      ev('transfer.pass_started', 4, 'a', { station_name: 7 }),
      ev('transfer.pass_completed', 5, 'a', null),
      ev('step.completed', 6, 'a', { duration_s: 'long' }),
      { ...ev('step.started', 7, 'b'), event_type: 17 },
      { ...ev('step.started', 8, 'c'), step_id: 5 },
    ],
    check(m) {
      expect(m.lanes.map((l) => l.step)).toEqual(['a', 'b'])
      expect(bars(m, 'a')).toEqual([[1, 6, 'completed', 'unknown', 100]])
      expect(lane(m, 'a').passes).toEqual([{ start: 4, end: 5, open: false, station: null, unstarted: false }])
      expect(lane(m, 'a').ticks.map((t) => t.type)).toEqual(['step.progress', 'step.progress'])
      expect(lane(m, 'b').ticks).toEqual([{ at: 7, type: '' }])
    },
  },
  {
    name: 'transfer progress from bytes moved; a pass still open ends at the last event; one closed without a start is kept',
    events: [
      ev('transfer.started', 0, 'down'),
      ev('transfer.pass_completed', 1, 'down', { ground_station: 'gs-x' }),
      ev('transfer.pass_started', 2, 'down', { ground_station: 'gs-a', station_name: 'Alpha' }),
      ev('transfer.progress', 3, 'down', { data_transferred_mb: 1, total_mb: 4 }),
      ev('transfer.pass_started', 4, 'down', { ground_station: 'gs-b' }),
      ev('transfer.pass_completed', 6, 'down', { ground_station: 'gs-a' }),
      ev('telemetry.sample', 9),
    ],
    check(m) {
      expect(bars(m, 'down')).toEqual([[0, 9, 'running', 'transfer', 25]])
      expect(lane(m, 'down').passes.map((p) => [p.start, p.end, p.station, p.open, p.unstarted])).toEqual([
        [1, 1, 'gs-x', false, true],
        [2, 6, 'Alpha', false, false],
        [4, 9, 'gs-b', true, false],
      ])
    },
  },
  {
    name: 'step ids and types holding markup are kept as text (rendering escapes them)',
    events: [ev('step.started', 0, '<script>alert(1)</script>'), ev('x.started', 1, '"><img src=x onerror=alert(1)>')],
    check(m) {
      expect(m.lanes.map((l) => l.step)).toEqual(['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'])
    },
  },
  {
    name: 'no events',
    events: [],
    check(m) {
      expect(m).toEqual({ originMs: null, extent: { start: 0, end: 0 }, lanes: [], markers: [], placed: 0, skipped: 0, truncated: false })
    },
  },
]

describe('timeline model', () => {
  for (const c of CASES) test(c.name, () => c.check(buildTimeline(c.events, { final: c.final })))

  test('5 000 events: 1 000 steps of five events each (and two markers), built in well under a second', () => {
    const events: TimelineEvent[] = [ev('job.accepted', 0)]
    for (let i = 0; i < 1000; i++) {
      const t = i * 10
      events.push(ev('placement.decided', t, `s${i}`, { location: i % 2 ? 'ground' : 'onboard' }))
      events.push(ev('step.started', t, `s${i}`))
      events.push(ev('step.progress', t + 2, `s${i}`, { percent: 50 }))
      events.push(ev('checkpoint.saved', t + 3, `s${i}`))
      if (i < 999) events.push(ev('step.completed', t + 8, `s${i}`))
      else events.push(ev('step.progress', t + 8, `s${i}`, { percent: 75 }))
    }
    events.push(ev('job.failed', 10_000))
    expect(events.length).toBe(5002)
    // (Its cost is a figure of `bun test/bench/timeline.ts`, not a timed assertion.)
    const m = buildTimeline(events.reverse())
    expect(m.lanes.length).toBe(1000)
    expect(m.lanes[0]!.step).toBe('s0')
    expect(m.lanes[999]!.bars[0]).toMatchObject({ state: 'running', progress: 75, end: 10_000, placement: 'ground' })
    expect(m.lanes[998]!.bars[0]).toMatchObject({ state: 'completed', placement: 'onboard' })
    expect(m.markers.map((k) => k.kind)).toEqual(['accepted', 'failed'])
  })

  test('timelineEventOf keeps only what the model reads, and the model is the same', () => {
    const events = examplePlanEvents()
    const slim = events.map(timelineEventOf)
    expect(slim[0]).toEqual({ id: 'evt-0', event_type: 'job.accepted', step_id: null, event_timestamp: at(0), payload: {} })
    expect(buildTimeline(slim)).toEqual(buildTimeline(events))
    expect(timelineEventOf({ event_type: 'x.y', payload: 'text' }).payload).toEqual({})
  })
})

describe('time window', () => {
  const extent = { start: 0, end: 1000 }
  const TABLE: [string, () => unknown, unknown][] = [
    ['fit: the whole run', () => fitView(extent), { from: 0, to: 1000 }],
    ['fit of a run of one instant: the narrowest window', () => fitView({ start: 5, end: 5 }), { from: 5, to: 5 + MIN_SPAN }],
    ['zoom in around the middle', () => zoomView({ from: 0, to: 1000 }, 0.5, extent), { from: 250, to: 750 }],
    ['zoom in around a point, which stays put', () => zoomView({ from: 0, to: 1000 }, 0.5, extent, 100), { from: 50, to: 550 }],
    ['zoom out past the run: the run', () => zoomView({ from: 200, to: 400 }, 100, extent), { from: 0, to: 1000 }],
    ['zoom in past the narrowest window: the narrowest', () => zoomView({ from: 100, to: 104 }, 0.01, extent), { from: 101, to: 103 }],
    ['pan later, stopped at the end', () => panView({ from: 800, to: 900 }, 5, extent), { from: 900, to: 1000 }],
    ['pan earlier, stopped at the start', () => panView({ from: 100, to: 300 }, -1, extent), { from: 0, to: 200 }],
    ['follow: the same span, ending at the last event', () => followView({ from: 0, to: 100 }, { start: 0, end: 5000 }), { from: 4900, to: 5000 }],
    ['clamp a window that is not a number', () => clampView({ from: Number.NaN, to: 10 }, extent), { from: 0, to: 1000 }],
  ]
  for (const [name, run, expected] of TABLE) test(name, () => expect(run()).toEqual(expected))

  test('ticks: whole seconds, minutes, hours, days, and years; a few dozen at most', () => {
    expect([10, 100, 1382, 7200, 86_400 * 3, 86_400 * 365 * 8000].map((span) => tickStep(span))).toEqual([2, 15, 300, 900, 43_200, 86_400 * 500_000])
    expect(axisTicks({ from: 0, to: 1382 })).toEqual([0, 300, 600, 900, 1200])
    expect(axisTicks({ from: -5e11, to: 5e11 }).length).toBeLessThanOrEqual(32)
  })
})

describe('timeline SVG', () => {
  test('the example plan: one lane per step, bars, passes with station names, markers with words; no style attribute', () => {
    const model = buildTimeline(examplePlanEvents())
    const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    expect(svg).toStartWith('<svg id="timeline"')
    expect(svg).not.toContain('style=')
    expect(svg.match(/class="tl-lane-row"/g)!.length).toBe(4)
    expect(svg.match(/class="tl-bar /g)!.length).toBe(4)
    expect(svg).toContain('class="tl-bar tl-onboard tl-completed"')
    expect(svg).toContain('class="tl-bar tl-transfer tl-completed"')
    expect(svg).toContain('>Svalbard</text>')
    expect(svg).toContain('>Fairbanks</text>')
    expect(svg).toContain('<title>Job accepted at 0:00</title>')
    expect(svg).toContain('<title>Job completed at 23:02</title>')
    expect(svg).toContain('<circle')
    expect(svg).toContain('<polygon')
    expect(svg).toContain('>on board</text>')
  })

  test('zoomed, only what is in the window is drawn', () => {
    const model = buildTimeline(examplePlanEvents())
    const svg = renderToString(<TimelineChart model={model} view={{ from: 0, to: 100 }} />)
    expect(svg.match(/class="tl-bar /g)!.length).toBe(2)
    expect(svg).not.toContain('Svalbard</text>')
  })

  test('markup in step ids and types is escaped text', () => {
    const model = buildTimeline([ev('step.started', 0, '<script>alert(1)</script>'), ev('<b>.done', 1, '"><img src=x onerror=alert(1)>')])
    const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    expect(svg).not.toContain('<script')
    expect(svg).not.toContain('<img')
    expect(svg).not.toContain('<b>')
    expect(svg).toContain('<title>&lt;script>alert(1)&lt;/script></title>')
  })
})

describe('the island’s table filter', () => {
  const item = (event_type: string, step_id: string | null) => ({ id: 'e', event_type, step_id, job_id: null, payload: {}, event_timestamp: at(0), created_at: at(0) })
  const TABLE: [string, string, string | null, string, boolean][] = [
    ['', '', null, 'no filter', true],
    ['transfer.*', 'transfer.pass_started', 's', 'a prefix', true],
    ['transfer.*', 'transferx.started', 's', 'a prefix is dotted', false],
    ['transfer.chunk.*', 'transfer.chunk.sent', null, 'a deeper prefix', true],
    ['step.started', 'step.started', 'a', 'exact', true],
    ['step.started', 'step.started_x', 'a', 'exact only', false],
  ]
  for (const [type, eventType, step, name, expected] of TABLE) test(name, () => expect(matchesFilters(item(eventType, step), { type, step_id: '' })).toBe(expected))
  test('step ids match exactly', () => {
    expect(matchesFilters(item('a.b', 'x'), { type: '', step_id: 'x' })).toBe(true)
    expect(matchesFilters(item('a.b', null), { type: '', step_id: 'x' })).toBe(false)
    expect(matchesFilters(item('a.b', 'xy'), { type: 'a.*', step_id: 'x' })).toBe(false)
  })
})
