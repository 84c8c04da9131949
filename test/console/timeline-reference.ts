// The timeline model as it was before the incremental builder (a rebuild from every event, with linear
// scans of a lane's bars and passes): kept only as the oracle of test/console/timeline-builder.test.ts,
// which checks that the builder, fed one event at a time in any order, gives the same model.
// Copied unchanged from src/console/components/timeline-model.ts at commit d64d5b3, types imported.
import type { Bar, Lane, Marker, MarkerKind, ModelOptions, Pass, Placement, TimelineEvent, TimelineModel } from '../../src/console/components/timeline-model'
import { instantOf } from '../../src/console/components/timeline-model'

const MARKERS: Record<string, MarkerKind> = { 'job.accepted': 'accepted', 'job.completed': 'completed', 'job.failed': 'failed' }
const SPAN = /^([a-z0-9_.]+)\.(started|completed|failed)$/
const PROGRESS = /^([a-z0-9_.]+)\.progress$/
/** The agent's constellation events name their span differently (reference catalogue). */
const ALIASES: Record<string, [string, 'started' | 'completed' | 'failed']> = {
  'constellation.step_started': ['constellation', 'started'],
  'constellation.step_completed': ['constellation', 'completed'],
}

type Parsed = { at: number; type: string; step: string | null; payload: Record<string, unknown>; index: number }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const finite = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

function locationOf(payload: Record<string, unknown>): Placement | null {
  return payload.location === 'onboard' || payload.location === 'ground' ? payload.location : null
}

function stationOf(payload: Record<string, unknown>): string | null {
  for (const key of ['station_name', 'ground_station'] as const) if (typeof payload[key] === 'string' && payload[key] !== '') return payload[key] as string
  return null
}

function passIdOf(payload: Record<string, unknown>): string | null {
  return typeof payload.ground_station === 'string' ? payload.ground_station : typeof payload.station_name === 'string' ? payload.station_name : null
}

/** A progress event's percent: `percent`, or transferred/total for transfers; clamped to 0..100. */
function percentOf(payload: Record<string, unknown>): number | null {
  let percent = finite(payload.percent)
  const done = finite(payload.data_transferred_mb)
  const total = finite(payload.total_mb) ?? finite(payload.total_transfer_mb)
  if (percent === null && done !== null && total !== null && total > 0) percent = (done / total) * 100
  return percent === null ? null : Math.min(100, Math.max(0, percent))
}


function parse(events: readonly TimelineEvent[]): { parsed: Parsed[]; skipped: number } {
  const parsed: Parsed[] = []
  let skipped = 0
  events.forEach((event, index) => {
    const at = isObject(event) ? instantOf(event.event_timestamp) : null
    if (at === null) {
      skipped++
      return
    }
    const type = typeof event.event_type === 'string' ? event.event_type : ''
    const step = typeof event.step_id === 'string' ? event.step_id : null
    parsed.push({ at, type, step, payload: isObject(event.payload) ? event.payload : {}, index })
  })
  // Mission order: by instant, then as given (the list's arrival tie-break, docs/events.md).
  parsed.sort((a, b) => a.at - b.at || a.index - b.index)
  return { parsed, skipped }
}

/** Builds the timeline of `events` (any order; the stream's arrival order is fine). */
export function referenceTimeline(events: readonly TimelineEvent[], options: ModelOptions = {}): Omit<TimelineModel, 'truncated'> {
  const { parsed, skipped } = parse(events)
  const originMs = parsed[0]?.at ?? null
  const lanes = new Map<string, Lane & { location: Placement | null }>()
  const markers: Marker[] = []
  let last = 0
  let first = 0
  const laneOf = (step: string) => {
    let lane = lanes.get(step)
    if (!lane) lanes.set(step, (lane = { step, placement: 'unknown', location: null, bars: [], passes: [], ticks: [] }))
    return lane
  }
  const barLocation = new Map<Bar, Placement | null>()
  const passIds = new Map<Pass, string | null>()
  const openBar = (lane: Lane, family?: string) => {
    for (let i = lane.bars.length - 1; i >= 0; i--) {
      const bar = lane.bars[i]!
      if (bar.open && (family === undefined || bar.family === family)) return bar
    }
    return undefined
  }

  for (const event of parsed) {
    const at = (event.at - originMs!) / 1000
    last = Math.max(last, at)
    const marker = MARKERS[event.type]
    if (marker) markers.push({ kind: marker, at })
    if (event.step === null) continue
    const lane = laneOf(event.step)
    const { payload, type } = event
    if (type === 'placement.decided') {
      lane.location = locationOf(payload) ?? lane.location
      continue
    }
    if (type === 'transfer.pass_started') {
      const pass: Pass = { start: at, end: at, open: true, station: stationOf(payload), unstarted: false }
      passIds.set(pass, passIdOf(payload))
      lane.passes.push(pass)
      continue
    }
    if (type === 'transfer.pass_completed') {
      // Matched by station id (`ground_station`) when both ends name one, else the latest open pass.
      const id = passIdOf(payload)
      const open = [...lane.passes].reverse().filter((p) => p.open)
      const pass = open.find((p) => id !== null && passIds.get(p) === id) ?? open[0]
      if (pass) {
        pass.end = at
        pass.open = false
        pass.station ??= stationOf(payload)
      } else lane.passes.push({ start: at, end: at, open: false, station: stationOf(payload), unstarted: true })
      continue
    }
    const span = ALIASES[type] ?? (SPAN.exec(type)?.slice(1) as [string, 'started' | 'completed' | 'failed'] | undefined)
    if (span && span[0] !== 'job') {
      const [family, phase] = span
      const current = openBar(lane, family)
      if (phase === 'started') {
        // A step started again while a run was open: that run was cut short.
        if (current) Object.assign(current, { end: at, open: false, state: 'interrupted' })
        const bar: Bar = { start: at, end: at, open: true, state: 'running', family, placement: 'unknown', progress: null, unstarted: false }
        barLocation.set(bar, locationOf(payload))
        lane.bars.push(bar)
      } else if (current) {
        Object.assign(current, { end: at, open: false, state: phase })
        if (phase === 'completed') current.progress = 100
        if (!barLocation.get(current)) barLocation.set(current, locationOf(payload))
      } else {
        const duration = finite(payload.duration_s)
        const start = duration !== null && duration >= 0 ? at - duration : at
        first = Math.min(first, start)
        const bar: Bar = { start, end: at, open: false, state: phase, family, placement: 'unknown', progress: phase === 'completed' ? 100 : null, unstarted: true }
        barLocation.set(bar, locationOf(payload))
        lane.bars.push(bar)
      }
      continue
    }
    const progress = PROGRESS.exec(type)
    if (progress) {
      const bar = openBar(lane, progress[1]) ?? openBar(lane)
      const percent = percentOf(payload)
      if (bar && percent !== null) {
        bar.progress = percent
        continue
      }
    }
    lane.ticks.push({ at, type })
  }

  const final = options.final === true
  const result: Lane[] = []
  for (const { location, ...lane } of lanes.values()) {
    for (const bar of lane.bars) {
      if (bar.open) Object.assign(bar, { end: last, state: final ? 'unfinished' : 'running' })
      bar.placement = bar.family.includes('transfer') ? 'transfer' : (barLocation.get(bar) ?? location ?? 'unknown')
    }
    for (const pass of lane.passes) if (pass.open) pass.end = last
    const own = lane.bars.find((b) => b.placement !== 'transfer' && b.placement !== 'unknown')?.placement
    lane.placement = location ?? own ?? (lane.bars.length > 0 && lane.bars.every((b) => b.placement === 'transfer') ? 'transfer' : 'unknown')
    result.push(lane)
  }
  return { originMs, extent: { start: first, end: last }, lanes: result, markers, placed: parsed.length, skipped }
}

