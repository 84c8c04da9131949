// The deployment timeline's model (docs/console.md "Deployment page and timeline"): from events, in any
// order and of any shape, to lanes, bars, passes, markers and the run's extent in mission seconds. Shared
// by the server's page and the browser's island; no DOM, no clock. `TimelineBuilder` takes events one at
// a time (the island's stream) at a constant cost each when they come in mission order; `buildTimeline`
// is the same builder fed a whole list.

/** An event as the list and the stream show it (docs/api.md §3.2); every field may be missing or of the wrong type. */
export type TimelineEvent = { id?: unknown; event_type?: unknown; step_id?: unknown; payload?: unknown; event_timestamp?: unknown }

/** Where a bar ran: on board, on the ground, or a transfer (its own colour). */
export type Placement = 'onboard' | 'ground' | 'transfer' | 'unknown'
/**
 * How a bar ended: `running` (open, the run goes on), `unfinished` (open in a terminal deployment: never
 * completed), `continues` (open, but only the first events were drawn: its end may be past them),
 * `interrupted` (started again before it completed).
 */
export type BarState = 'completed' | 'failed' | 'running' | 'unfinished' | 'continues' | 'interrupted'

export type Bar = {
  /** Mission seconds from the first event. */
  start: number
  end: number
  /** Started and not (yet) completed: it ends at the last event. */
  open: boolean
  state: BarState
  /** The event family: `step`, `eclipse_step`, `transfer`, … */
  family: string
  placement: Placement
  /** 0..100 as `*.progress` last said, 100 once completed; null when nothing said it. */
  progress: number | null
  /** Completed without a start: the start is `end - duration_s` when the payload gives it, else `end`. */
  unstarted: boolean
}

export type Pass = { start: number; end: number; open: boolean; station: string | null; unstarted: boolean }
/** Another event of a step (a checkpoint, an energy check…): a tick in its lane. */
export type Tick = { at: number; type: string }
export type Lane = { step: string; placement: Placement; bars: Bar[]; passes: Pass[]; ticks: Tick[] }
export type MarkerKind = 'accepted' | 'completed' | 'failed'
export type Marker = { kind: MarkerKind; at: number }

export type TimelineModel = {
  /** The first event's instant (epoch ms), the origin of mission time; null without a dated event. */
  originMs: number | null
  /** Mission seconds covered: from min(0, earliest inferred start) to the last event. */
  extent: { start: number; end: number }
  lanes: Lane[]
  markers: Marker[]
  /** Events placed; events without a readable timestamp are skipped and counted. */
  placed: number
  skipped: number
  /** Built from a cut-off list (the first events only): what is still open may end past them. */
  truncated: boolean
}

export type ModelOptions = {
  /** The deployment is terminal: a bar still open is `unfinished`, not `running`. */
  final?: boolean
  /** The events are only the first of the run's: a bar still open `continues` past them (whether or not `final`). */
  truncated?: boolean
}

const MARKERS: Record<string, MarkerKind> = { 'job.accepted': 'accepted', 'job.completed': 'completed', 'job.failed': 'failed' }
const SPAN = /^([a-z0-9_.]+)\.(started|completed|failed)$/
const PROGRESS = /^([a-z0-9_.]+)\.progress$/
/** The agent's constellation events name their span differently (reference catalogue). */
const ALIASES: Record<string, [string, 'started' | 'completed' | 'failed']> = {
  'constellation.step_started': ['constellation', 'started'],
  'constellation.step_completed': ['constellation', 'completed'],
}

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

/** Epoch milliseconds of an RFC 3339 text, or null (missing, not text, not a date). */
export function instantOf(value: unknown): number | null {
  if (typeof value !== 'string') return null
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : null
}

/** An event with a readable instant; `index` is the order it was given in (the tie-break of equal instants). */
type Parsed = { at: number; type: string; step: string | null; payload: Record<string, unknown>; index: number }

/** Mission order: by instant, then as given (the list's arrival tie-break, docs/events.md). */
const byMissionOrder = (a: Parsed, b: Parsed) => a.at - b.at || a.index - b.index

type OwnBar = Bar & { location: Placement | null }
type OwnPass = Pass & { id: string | null }

/** A lane as the builder keeps it: its events, and its open bars and passes found without a scan. */
type LaneState = {
  step: string
  /** The lane's first event, which places it among the lanes (first appearance in mission order). */
  firstAt: number
  firstIndex: number
  events: Parsed[]
  location: Placement | null
  bars: OwnBar[]
  passes: OwnPass[]
  ticks: Tick[]
  /** The earliest inferred start (a completion's `duration_s` before the first event), or 0. */
  first: number
  /** The open bar of each family (a second `started` closes the first, so there is at most one). */
  openByFamily: Map<string, OwnBar>
  /** Bars as they opened; the closed ones are dropped from the top when the latest open one is asked for. */
  openBars: OwnBar[]
  /** Passes as they opened, and by station id; the same lazy dropping. */
  openPasses: OwnPass[]
  openPassesById: Map<string, OwnPass[]>
  /** Bumped at every change; the snapshot of the lane is remade only when it moved (or ends at the last event). */
  version: number
  snapshot: { version: number; last: number; openAs: BarState; lane: Lane; open: boolean } | null
}

/** The top of a stack once its closed entries are dropped. */
function openTop<T extends { open: boolean }>(stack: T[]): T | undefined {
  while (stack.length > 0 && !stack[stack.length - 1]!.open) stack.pop()
  return stack[stack.length - 1]
}

/** The index at which `at` goes after every entry at or before it (a late event comes after its equals). */
function insertionPoint<T>(items: readonly T[], at: number, key: (item: T) => number): number {
  let low = 0
  let high = items.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (key(items[mid]!) <= at) low = mid + 1
    else high = mid
  }
  return low
}

function parseEvent(event: TimelineEvent, index: number): Parsed | null {
  const at = isObject(event) ? instantOf(event.event_timestamp) : null
  if (at === null) return null
  const type = typeof event.event_type === 'string' ? event.event_type : ''
  const step = typeof event.step_id === 'string' ? event.step_id : null
  return { at, type, step, payload: isObject(event.payload) ? event.payload : {}, index }
}

/**
 * The timeline built event by event (the island adds each event of the stream; docs/console.md). An event
 * at or after the latest costs O(1) (amortised); one earlier than the latest replays only its lane, and
 * one earlier than the first event (the origin of mission time moves) replays everything. `snapshot()`
 * remakes only the lanes that changed since the last one, and those still open (they end at the last event).
 */
export class TimelineBuilder {
  private originMs: number | null = null
  private latestMs = -Infinity
  private last = 0
  private next = 0
  private skipped = 0
  private all: Parsed[] = []
  private lanes = new Map<string, LaneState>()
  private order: LaneState[] = []
  private markers: (Marker & { ms: number })[] = []
  private markersVersion = 0
  private markersShown: { version: number; markers: Marker[] } | null = null

  /** Events given so far, placed or skipped. */
  get count(): number {
    return this.all.length + this.skipped
  }

  add(event: TimelineEvent): void {
    const parsed = parseEvent(event, this.next++)
    if (parsed === null) this.skipped++
    else this.place(parsed)
  }

  /** Adds a list in one go: sorted first, so that each event comes in mission order. */
  addAll(events: readonly TimelineEvent[]): void {
    const parsed: Parsed[] = []
    for (const event of events) {
      const p = parseEvent(event, this.next++)
      if (p === null) this.skipped++
      else parsed.push(p)
    }
    parsed.sort(byMissionOrder)
    // A list reaching back before the latest event: once all in, one replay rather than one per lane event.
    if (parsed.length > 1 && this.originMs !== null && parsed[0]!.at < this.latestMs) {
      this.all.push(...parsed)
      return this.rebuild()
    }
    for (const p of parsed) this.place(p)
  }

  private place(p: Parsed) {
    this.all.push(p)
    if (this.originMs === null) this.originMs = p.at
    if (p.at < this.originMs) return this.rebuild()
    if (p.at >= this.latestMs) {
      this.latestMs = p.at
      return this.apply(p)
    }
    this.placeLate(p)
  }

  /** Everything again from the events in mission order (the origin moved earlier). */
  private rebuild() {
    this.all.sort(byMissionOrder)
    this.originMs = this.all[0]!.at
    this.latestMs = this.all[this.all.length - 1]!.at
    this.last = 0
    this.lanes = new Map()
    this.order = []
    this.markers = []
    this.markersVersion++
    for (const p of this.all) this.apply(p)
  }

  private newLane(p: Parsed & { step: string }): LaneState {
    const lane: LaneState = {
      step: p.step,
      firstAt: p.at,
      firstIndex: p.index,
      events: [],
      location: null,
      bars: [],
      passes: [],
      ticks: [],
      first: 0,
      openByFamily: new Map(),
      openBars: [],
      openPasses: [],
      openPassesById: new Map(),
      version: 0,
      snapshot: null,
    }
    this.lanes.set(p.step, lane)
    return lane
  }

  /** An event at or after every other: added to the end of its lane. */
  private apply(p: Parsed) {
    const at = (p.at - this.originMs!) / 1000
    this.last = Math.max(this.last, at)
    const marker = MARKERS[p.type]
    if (marker) {
      this.markers.push({ kind: marker, at, ms: p.at })
      this.markersVersion++
    }
    if (p.step === null) return
    let lane = this.lanes.get(p.step)
    if (!lane) this.order.push((lane = this.newLane(p as Parsed & { step: string })))
    lane.events.push(p)
    this.step(lane, p, at)
    lane.version++
  }

  /** An event earlier than the latest (but not than the first): its lane is replayed with it in place. */
  private placeLate(p: Parsed) {
    const at = (p.at - this.originMs!) / 1000
    const marker = MARKERS[p.type]
    if (marker) {
      this.markers.splice(
        insertionPoint(this.markers, p.at, (m) => m.ms),
        0,
        { kind: marker, at, ms: p.at },
      )
      this.markersVersion++
    }
    if (p.step === null) return
    let lane = this.lanes.get(p.step)
    if (!lane) {
      lane = this.newLane(p as Parsed & { step: string })
      this.order.push(lane)
      this.sortLanes()
    } else if (p.at < lane.firstAt) {
      lane.firstAt = p.at
      lane.firstIndex = p.index
      this.sortLanes()
    }
    lane.events.splice(
      insertionPoint(lane.events, p.at, (e) => e.at),
      0,
      p,
    )
    this.replay(lane)
  }

  private sortLanes() {
    this.order.sort((a, b) => a.firstAt - b.firstAt || a.firstIndex - b.firstIndex)
  }

  private replay(lane: LaneState) {
    Object.assign(lane, { location: null, bars: [], passes: [], ticks: [], first: 0, openByFamily: new Map(), openBars: [], openPasses: [], openPassesById: new Map() })
    for (const p of lane.events) this.step(lane, p, (p.at - this.originMs!) / 1000)
    lane.version++
  }

  /** One event of a step, at mission second `at`, applied to its lane. */
  private step(lane: LaneState, event: Parsed, at: number) {
    const { payload, type } = event
    if (type === 'placement.decided') {
      lane.location = locationOf(payload) ?? lane.location
      return
    }
    if (type === 'transfer.pass_started') {
      const pass: OwnPass = { start: at, end: at, open: true, station: stationOf(payload), unstarted: false, id: passIdOf(payload) }
      lane.passes.push(pass)
      lane.openPasses.push(pass)
      if (pass.id !== null) {
        const same = lane.openPassesById.get(pass.id)
        if (same) same.push(pass)
        else lane.openPassesById.set(pass.id, [pass])
      }
      return
    }
    if (type === 'transfer.pass_completed') {
      // Matched by station id (`ground_station`) when both ends name one, else the latest open pass.
      const id = passIdOf(payload)
      const same = id === null ? undefined : lane.openPassesById.get(id)
      const pass = (same && openTop(same)) ?? openTop(lane.openPasses)
      if (pass) {
        pass.end = at
        pass.open = false
        pass.station ??= stationOf(payload)
      } else lane.passes.push({ start: at, end: at, open: false, station: stationOf(payload), unstarted: true, id })
      return
    }
    const span = ALIASES[type] ?? (SPAN.exec(type)?.slice(1) as [string, 'started' | 'completed' | 'failed'] | undefined)
    if (span && span[0] !== 'job') {
      const [family, phase] = span
      const current = lane.openByFamily.get(family)
      if (current) {
        // Completed or failed; or started again while a run was open: that run was cut short.
        Object.assign(current, { end: at, open: false, state: phase === 'started' ? 'interrupted' : phase })
        lane.openByFamily.delete(family)
        if (phase === 'completed') current.progress = 100
        if (phase !== 'started' && !current.location) current.location = locationOf(payload)
      }
      if (phase === 'started') {
        const bar: OwnBar = { start: at, end: at, open: true, state: 'running', family, placement: 'unknown', progress: null, unstarted: false, location: locationOf(payload) }
        lane.bars.push(bar)
        lane.openByFamily.set(family, bar)
        lane.openBars.push(bar)
      } else if (!current) {
        const duration = finite(payload.duration_s)
        const start = duration !== null && duration >= 0 ? at - duration : at
        lane.first = Math.min(lane.first, start)
        lane.bars.push({ start, end: at, open: false, state: phase, family, placement: 'unknown', progress: phase === 'completed' ? 100 : null, unstarted: true, location: locationOf(payload) })
      }
      return
    }
    const progress = PROGRESS.exec(type)
    if (progress) {
      const bar = lane.openByFamily.get(progress[1]!) ?? openTop(lane.openBars)
      const percent = percentOf(payload)
      if (bar && percent !== null) {
        bar.progress = percent
        return
      }
    }
    lane.ticks.push({ at, type })
  }

  /** The lane as the model shows it: open bars and passes end at the last event; placements resolved. */
  private laneOf(lane: LaneState, openAs: BarState): Lane {
    const kept = lane.snapshot
    if (kept && kept.version === lane.version && (!kept.open || (kept.last === this.last && kept.openAs === openAs))) return kept.lane
    let open = false
    const bars: Bar[] = lane.bars.map((b) => {
      open ||= b.open
      return {
        start: b.start,
        end: b.open ? this.last : b.end,
        open: b.open,
        state: b.open ? openAs : b.state,
        family: b.family,
        placement: b.family.includes('transfer') ? 'transfer' : (b.location ?? lane.location ?? 'unknown'),
        progress: b.progress,
        unstarted: b.unstarted,
      }
    })
    const passes: Pass[] = lane.passes.map((p) => {
      open ||= p.open
      return { start: p.start, end: p.open ? this.last : p.end, open: p.open, station: p.station, unstarted: p.unstarted }
    })
    const own = bars.find((b) => b.placement !== 'transfer' && b.placement !== 'unknown')?.placement
    const placement = lane.location ?? own ?? (bars.length > 0 && bars.every((b) => b.placement === 'transfer') ? 'transfer' : 'unknown')
    const shown: Lane = { step: lane.step, placement, bars, passes, ticks: lane.ticks.slice() }
    lane.snapshot = { version: lane.version, last: this.last, openAs, lane: shown, open }
    return shown
  }

  /** The model as it stands. Lanes that did not change since the last snapshot are the same objects. */
  snapshot(options: ModelOptions = {}): TimelineModel {
    const truncated = options.truncated === true
    const openAs: BarState = truncated ? 'continues' : options.final === true ? 'unfinished' : 'running'
    let first = 0
    const lanes = this.order.map((lane) => {
      first = Math.min(first, lane.first)
      return this.laneOf(lane, openAs)
    })
    if (this.markersShown?.version !== this.markersVersion) this.markersShown = { version: this.markersVersion, markers: this.markers.map(({ kind, at }) => ({ kind, at })) }
    return { originMs: this.originMs, extent: { start: first, end: this.last }, lanes, markers: this.markersShown.markers, placed: this.all.length, skipped: this.skipped, truncated }
  }
}

/** Builds the timeline of `events` (any order; the stream's arrival order is fine). */
export function buildTimeline(events: readonly TimelineEvent[], options: ModelOptions = {}): TimelineModel {
  const builder = new TimelineBuilder()
  builder.addAll(events)
  return builder.snapshot(options)
}

/** The fields of a payload the model reads, so that an island's data stays small for 5 000 events. */
const MODEL_KEYS = ['location', 'percent', 'station_name', 'ground_station', 'duration_s', 'data_transferred_mb', 'total_mb', 'total_transfer_mb'] as const

/** An event cut down to what the timeline needs (and its id, to drop the stream's repeats). */
export function timelineEventOf(event: TimelineEvent): TimelineEvent {
  const payload: Record<string, unknown> = {}
  if (isObject(event.payload))
    for (const key of MODEL_KEYS) {
      const value = event.payload[key]
      if (typeof value === 'number' || (typeof value === 'string' && value.length <= 200)) payload[key] = value
    }
  return { id: event.id, event_type: event.event_type, step_id: event.step_id, event_timestamp: event.event_timestamp, payload }
}
