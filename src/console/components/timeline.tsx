/** @jsxImportSource preact */
// The deployment timeline as SVG (docs/console.md "Deployment page and timeline"): rendered by the server
// into the page, and re-rendered by the deployment island as the run grows or the window moves. Colours
// come from CSS classes; every shape carries its words in a <title>; Preact escapes every text.
import type { SVGAttributes } from 'preact'
import { clock } from '../format'
import type { Bar, Lane, Marker, MarkerKind, Pass, Placement, TimelineModel } from './timeline-model'
import { axisTicks, type TimeView } from './timeline-view'

export const WIDTH = 1000
export const PLOT_X = 170
export const PLOT_W = 810
const TOP = 24
const MARKER_ROW = 26
export const LANE_H = 32
/** Where the first lane starts, in the chart's units. */
export const LANES_TOP = TOP + MARKER_ROW
const BOTTOM = 24
const LABEL_CHARS = 22
/** How far past the plot's edges marks still show (a marker at the very start is whole). */
const EDGE = 8

/** Mission seconds as a clock, with a minus sign before the first event (inferred starts). */
export const missionClock = (seconds: number) => (seconds < 0 ? `−${clock(-seconds)}` : clock(seconds))

const PLACEMENT_WORDS: Record<Placement, string> = {
  onboard: 'on board',
  ground: 'on the ground',
  transfer: 'transfer',
  unknown: 'placement not reported',
}
const MARKER_WORDS: Record<MarkerKind, string> = { accepted: 'Job accepted', completed: 'Job completed', failed: 'Job failed' }

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`
  return clock(seconds)
}

/** A bar's state in words (docs/console.md: "continues" when only the first events are drawn). */
const STATE_WORDS: Record<Bar['state'], string> = {
  completed: 'completed',
  failed: 'failed',
  running: 'running',
  unfinished: 'never completed',
  continues: 'continues past the drawn events',
  interrupted: 'started again before it completed',
}

function barTitle(step: string, bar: Bar): string {
  const state = `${STATE_WORDS[bar.state]}${bar.state === 'running' && bar.progress !== null ? `, ${Math.round(bar.progress)} %` : ''}`
  const from = bar.unstarted ? `(no start reported) ` : ''
  return `${step} (${bar.family}): ${PLACEMENT_WORDS[bar.placement]}, ${from}${missionClock(bar.start)} to ${missionClock(bar.end)} (${duration(bar.end - bar.start)}), ${state}`
}

function passTitle(step: string, pass: Pass, cut: boolean): string {
  const station = pass.station ?? 'unnamed station'
  return `${step}: pass over ${station}, ${missionClock(pass.start)} to ${missionClock(pass.end)}${pass.open ? (cut ? ', continues past the drawn events' : ', in progress') : ''}`
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`

/** A few distinct names, then how many more. */
function someOf(names: (string | null)[], max = 3): string {
  const distinct = [...new Set(names.map((n) => n ?? 'unnamed station'))]
  return distinct.length <= max ? distinct.join(', ') : `${distinct.slice(0, max).join(', ')} and ${distinct.length - max} more`
}

function truncate(text: string, size: number): string {
  return text.length > size ? `${text.slice(0, size - 1)}…` : text
}

type ChartProps = {
  model: TimelineModel
  view: TimeView
  /** Draw only the lanes with something in the window (a zoomed window over many steps). */
  busyOnly?: boolean
  /** The island's: focusable, with the keyboard and pointer handlers. */
  interactive?: SVGAttributes<SVGSVGElement>
  /**
   * The island's: draw only the lanes `first`..`last` (indexes among those drawn), the ones in the scrolling
   * frame's view; the chart keeps the height of all of them. Without it (the server's page) every lane is drawn.
   */
  rows?: RowRange | null
}

export type RowRange = { first: number; last: number }

export function chartHeight(lanes: number): number {
  return LANES_TOP + Math.max(lanes, 1) * LANE_H + BOTTOM
}

/** The lanes drawn for a window: all of them, or (a zoomed window over many steps) those with something in it. */
export function drawnLanes(model: TimelineModel, view: TimeView, busyOnly: boolean | undefined): Lane[] {
  return busyOnly ? model.lanes.filter((lane) => laneInView(lane, view)) : model.lanes
}

/** The plot's x of mission second `t`, kept a little outside the plot when off it (no huge coordinates). */
function xOf(t: number, view: TimeView): number {
  const x = PLOT_X + ((t - view.from) / (view.to - view.from)) * PLOT_W
  return Math.min(PLOT_X + PLOT_W + EDGE, Math.max(PLOT_X - EDGE, x))
}

/** The mission second under x (in the chart's own units). */
export function timeAt(x: number, view: TimeView): number {
  return view.from + ((x - PLOT_X) / PLOT_W) * (view.to - view.from)
}

const round = (n: number) => Math.round(n * 10) / 10

/** Whether a lane has a bar, pass or tick in the window. */
export function laneInView(lane: Lane, view: TimeView): boolean {
  const hit = (start: number, end: number) => end >= view.from && start <= view.to
  return lane.bars.some((b) => hit(b.start, b.end)) || lane.passes.some((p) => hit(p.start, p.end)) || lane.ticks.some((t) => hit(t.at, t.at))
}

export function TimelineChart({ model, view, interactive, busyOnly, rows }: ChartProps) {
  const lanes = drawnLanes(model, view, busyOnly)
  const first = rows ? Math.max(0, rows.first) : 0
  const shown = rows ? lanes.slice(first, rows.last + 1) : lanes
  const height = chartHeight(lanes.length)
  const bottom = height - BOTTOM
  const ticks = axisTicks(view)
  const running = model.lanes.some((lane) => lane.bars.some((bar) => bar.state === 'running'))
  const label = `Timeline of the run in mission time: ${model.lanes.length} steps, ${missionClock(view.from)} to ${missionClock(view.to)} shown.`
  return (
    <svg
      id="timeline"
      class="timeline"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="group"
      aria-label={interactive ? `${label} Keys: plus and minus zoom, left and right arrows move in time, 0 shows the whole run, End follows live.` : label}
      {...interactive}
    >
      <defs>
        <clipPath id="timeline-plot">
          <rect x={PLOT_X - EDGE} y={0} width={PLOT_W + 2 * EDGE} height={height} />
        </clipPath>
        <Hatch id="timeline-hatch" />
      </defs>
      {shown.map((lane, i) => (
        <LaneRow key={lane.step} lane={lane} index={first + i} />
      ))}
      {lanes.length === 0 && (
        <text class="tl-empty" x={PLOT_X} y={TOP + MARKER_ROW + LANE_H / 2 + 4}>
          {model.placed === 0 ? 'No events yet.' : model.lanes.length === 0 ? 'No step has reported yet.' : 'No step has anything in this window.'}
        </text>
      )}
      <text class="tl-label" x={8} y={TOP + MARKER_ROW / 2 + 4}>
        Job
      </text>
      {ticks.map((t) => {
        const x = round(xOf(t, view))
        return (
          <g class="tl-axis" key={t}>
            <line class="tl-grid" x1={x} x2={x} y1={TOP - 4} y2={bottom} />
            <text x={x} y={TOP - 8} text-anchor="middle">
              {missionClock(t)}
            </text>
            <text x={x} y={bottom + 16} text-anchor="middle">
              {missionClock(t)}
            </text>
          </g>
        )
      })}
      <g clip-path="url(#timeline-plot)">
        {shown.map((lane, i) => (
          <LaneMarks key={lane.step} lane={lane} index={first + i} view={view} cut={model.truncated} />
        ))}
        <Markers markers={model.markers} view={view} bottom={bottom} />
        {running && (
          <line class="tl-now" x1={round(xOf(model.extent.end, view))} x2={round(xOf(model.extent.end, view))} y1={TOP} y2={bottom}>
            <title>{`Last event: ${missionClock(model.extent.end)}`}</title>
          </line>
        )}
      </g>
    </svg>
  )
}

const laneTop = (index: number) => LANES_TOP + index * LANE_H

function LaneRow({ lane, index }: { lane: Lane; index: number }) {
  const y = laneTop(index)
  return (
    <g class="tl-lane-row">
      <rect class={index % 2 ? 'tl-lane tl-lane-odd' : 'tl-lane'} x={0} y={y} width={WIDTH} height={LANE_H} />
      <text class="tl-label" x={8} y={y + 14}>
        <title>{lane.step}</title>
        {truncate(lane.step, LABEL_CHARS)}
      </text>
      <text class={`tl-where tl-where-${lane.placement}`} x={8} y={y + 27}>
        {PLACEMENT_WORDS[lane.placement]}
      </text>
    </g>
  )
}

const CHAR_W = 6.5

/**
 * Where a pass's station name goes: inside the pass, else from its start towards the next pass (which
 * starts at `right`), else ending at its end from the previous one (which ends at `left`); nowhere (the
 * <title> still says it) when none has room.
 */
function passLabel(text: string, x1: number, x2: number, right: number, left: number) {
  const width = text.length * CHAR_W + 6
  if (x2 - x1 >= width) return { text, x: x1 + 3, anchor: 'start' }
  if (right - x1 >= width) return { text, x: x1 + 3, anchor: 'start' }
  if (x2 - left >= width) return { text, x: x2 - 3, anchor: 'end' }
  return null
}

/** Marks narrower than this (chart units) that touch are drawn as one, with their count in words. */
const TINY = 3

/**
 * Groups the marks of a lane that fall in the window, in their order: a mark drawn wide enough stands
 * alone; tiny ones that touch (within a unit) are one group. So a lane of 20 000 passes over the whole
 * run is a few shapes, not 20 000 (docs/console.md "Deployment page and timeline").
 */
function groupMarks<T extends { start: number; end: number }>(marks: readonly T[], view: TimeView): { items: T[]; x1: number; x2: number }[] {
  const groups: { items: T[]; x1: number; x2: number }[] = []
  let open: { items: T[]; x1: number; x2: number } | null = null
  for (const mark of marks) {
    if (mark.end < view.from || mark.start > view.to) continue
    const x1 = xOf(mark.start, view)
    const x2 = Math.max(xOf(mark.end, view), x1 + 2)
    const tiny = x2 - x1 < TINY
    if (tiny && open && x1 <= open.x2 + 1 && x1 >= open.x1 - 1) {
      open.items.push(mark)
      open.x1 = Math.min(open.x1, x1)
      open.x2 = Math.max(open.x2, x2)
      continue
    }
    const group = { items: [mark], x1, x2 }
    groups.push(group)
    open = tiny ? group : null
  }
  return groups
}

/** The end mark of a bar that did not complete: ✕ for failed, a cut line for started again (not colour alone). */
function EndMark({ state, x, y }: { state: Bar['state']; x: number; y: number }) {
  if (state === 'failed') return <path class="tl-end-mark" d={`M${round(x - 4)},${y + 11} l8,10 m0,-10 l-8,10`} />
  if (state === 'interrupted') return <path class="tl-end-mark" d={`M${round(x)},${y + 4} v${LANE_H - 8}`} />
  return null
}

function barsTitle(step: string, bars: Bar[]): string {
  const counts = new Map<string, number>()
  for (const bar of bars) counts.set(STATE_WORDS[bar.state], (counts.get(STATE_WORDS[bar.state]) ?? 0) + 1)
  const states = [...counts].map(([words, n]) => `${n.toLocaleString('en')} ${words}`).join(', ')
  const from = bars.reduce((t, b) => Math.min(t, b.start), Infinity)
  const to = bars.reduce((t, b) => Math.max(t, b.end), -Infinity)
  return `${step}: ${plural(bars.length, 'run')} too close together to draw apart, ${missionClock(from)} to ${missionClock(to)} (${states}); zoom in to see each`
}

function passesTitle(step: string, passes: Pass[]): string {
  const from = passes[0]!.start
  const to = passes.reduce((t, p) => Math.max(t, p.end), -Infinity)
  return `${step}: ${plural(passes.length, 'pass', 'passes')} over ${someOf(passes.map((p) => p.station))}, ${missionClock(from)} to ${missionClock(to)}, too close together to draw apart; zoom in to see each`
}

/** The bars, passes and ticks of a lane that fall in the window; ticks closer than 2 units are drawn once. */
function LaneMarks({ lane, index, view, cut }: { lane: Lane; index: number; view: TimeView; cut: boolean }) {
  const y = laneTop(index)
  const inView = (start: number, end: number) => end >= view.from && start <= view.to
  let lastTick = -Infinity
  const ticks = lane.ticks.filter((tick) => {
    if (!inView(tick.at, tick.at)) return false
    const x = xOf(tick.at, view)
    if (x - lastTick < 2) return false
    lastTick = x
    return true
  })
  const passes = groupMarks(lane.passes, view)
  return (
    <g class="tl-lane-marks">
      {groupMarks(lane.bars, view).map(({ items, x1, x2 }) => {
        const width = x2 - x1
        if (items.length > 1) {
          const placements = new Set(items.map((b) => b.placement))
          const failed = items.some((b) => b.state === 'failed')
          return (
            <g class={`tl-bar tl-${placements.size === 1 ? items[0]!.placement : 'unknown'} tl-many`}>
              <title>{barsTitle(lane.step, items)}</title>
              <rect class="tl-bar-bg" x={round(x1)} y={y + 7} width={round(width)} height={LANE_H - 14} rx={3} />
              <rect class="tl-hatch" x={round(x1)} y={y + 7} width={round(width)} height={LANE_H - 14} fill="url(#timeline-hatch)" />
              {failed && <EndMark state="failed" x={x2} y={y} />}
            </g>
          )
        }
        const bar = items[0]!
        const classes = `tl-bar tl-${bar.placement} tl-${bar.state}${bar.open ? ' tl-open' : ''}`
        return (
          <g class={classes}>
            <title>{barTitle(lane.step, bar)}</title>
            <rect class="tl-bar-bg" x={round(x1)} y={y + 7} width={round(width)} height={LANE_H - 14} rx={3} />
            {bar.progress !== null && <rect class="tl-fill" x={round(x1)} y={y + 7} width={round((width * bar.progress) / 100)} height={LANE_H - 14} rx={3} />}
            {bar.state === 'running' && <polygon class="tl-open-end" points={`${round(x1 + width)},${y + 9} ${round(x1 + width + 7)},${y + LANE_H / 2} ${round(x1 + width)},${y + LANE_H - 9}`} />}
            <EndMark state={bar.state} x={x2} y={y} />
          </g>
        )
      })}
      {passes.map(({ items, x1, x2 }, i) => {
        const many = items.length > 1
        const pass = items[0]!
        const label = passLabel(many ? plural(items.length, 'pass', 'passes') : (pass.station ?? 'pass'), x1, x2, passes[i + 1]?.x1 ?? PLOT_X + PLOT_W, passes[i - 1]?.x2 ?? PLOT_X)
        const open = !many && pass.open
        return (
          <g class={`tl-pass${open ? ' tl-open' : ''}${many ? ' tl-many' : ''}`}>
            <title>{many ? passesTitle(lane.step, items) : passTitle(lane.step, pass, cut)}</title>
            <rect x={round(x1)} y={y + 3} width={round(x2 - x1)} height={LANE_H - 6} rx={2} />
            {many && <rect class="tl-hatch" x={round(x1)} y={y + 3} width={round(x2 - x1)} height={LANE_H - 6} fill="url(#timeline-hatch)" />}
            {label && (
              <text class="tl-pass-label" x={round(label.x)} y={y + LANE_H / 2 + 4} text-anchor={label.anchor}>
                {label.text}
              </text>
            )}
          </g>
        )
      })}
      {ticks.map((tick) => {
        const x = round(xOf(tick.at, view))
        return (
          <line class="tl-tick" x1={x} x2={x} y1={y + 2} y2={y + LANE_H - 2}>
            <title>{`${lane.step}: ${tick.type || 'event'} at ${missionClock(tick.at)}`}</title>
          </line>
        )
      })}
    </g>
  )
}

/** Job markers: a circle (accepted), a diamond (completed), a cross (failed), each with a guide line. */
function Markers({ markers, view, bottom }: { markers: Marker[]; view: TimeView; bottom: number }) {
  const y = TOP + MARKER_ROW / 2
  const last: Partial<Record<MarkerKind, number>> = {}
  return (
    <g class="tl-markers">
      {markers.map((marker) => {
        if (marker.at < view.from || marker.at > view.to) return null
        const x = round(xOf(marker.at, view))
        if (x - (last[marker.kind] ?? -Infinity) < 2) return null
        last[marker.kind] = x
        return (
          <g class={`tl-marker tl-marker-${marker.kind}`}>
            <title>{`${MARKER_WORDS[marker.kind]} at ${missionClock(marker.at)}`}</title>
            <line class="tl-guide" x1={x} x2={x} y1={y} y2={bottom} />
            <MarkerShape kind={marker.kind} x={x} y={y} />
          </g>
        )
      })}
    </g>
  )
}

export function MarkerShape({ kind, x, y }: { kind: MarkerKind; x: number; y: number }) {
  if (kind === 'accepted') return <circle cx={x} cy={y} r={6} />
  if (kind === 'completed') return <polygon points={`${x},${y - 7} ${x + 7},${y} ${x},${y + 7} ${x - 7},${y}`} />
  return <path d={`M${x - 6},${y - 6} L${x + 6},${y + 6} M${x + 6},${y - 6} L${x - 6},${y + 6}`} />
}

/** Stripes for marks too close together to draw apart (a pattern: a class cannot draw stripes). */
function Hatch({ id }: { id: string }) {
  return (
    <pattern id={id} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <line class="tl-hatch-line" x1={0} y1={0} x2={0} y2={6} />
    </pattern>
  )
}

/** What the colours and shapes mean, in words. */
export function TimelineLegend() {
  const swatch = (classes: string) => (
    <svg class="tl-swatch" viewBox="0 0 24 14" width={24} height={14} aria-hidden="true">
      <g class={classes}>
        <rect class="tl-bar-bg" x={1} y={2} width={22} height={10} rx={2} />
        <rect class="tl-fill" x={1} y={2} width={12} height={10} rx={2} />
      </g>
    </svg>
  )
  const mark = (kind: MarkerKind) => (
    <svg class="tl-swatch" viewBox="0 0 16 16" width={16} height={16} aria-hidden="true">
      <g class={`tl-marker tl-marker-${kind}`}>
        <MarkerShape kind={kind} x={8} y={8} />
      </g>
    </svg>
  )
  return (
    <ul class="tl-legend" aria-label="Timeline legend">
      <li>{swatch('tl-bar tl-onboard')} Step run on board</li>
      <li>{swatch('tl-bar tl-ground')} Step run on the ground</li>
      <li>{swatch('tl-bar tl-transfer')} Transfer</li>
      <li>{swatch('tl-bar tl-unknown')} Placement not reported</li>
      <li>
        <svg class="tl-swatch" viewBox="0 0 24 14" width={24} height={14} aria-hidden="true">
          <g class="tl-pass">
            <rect x={1} y={1} width={22} height={12} rx={2} />
          </g>
        </svg>{' '}
        Ground-station pass (named on the bar)
      </li>
      <li>Filled part: progress reported</li>
      <li>{swatch('tl-bar tl-onboard tl-running tl-open')} Dashed outline: still open — running (with ▶ at its end), never completed, or, when only the first events are drawn, continues past the drawn events</li>
      <li>
        <svg class="tl-swatch" viewBox="0 0 24 14" width={24} height={14} aria-hidden="true">
          <g class="tl-bar tl-onboard tl-failed">
            <rect class="tl-bar-bg" x={1} y={2} width={18} height={10} rx={2} />
            <path class="tl-end-mark" d="M15,3 l8,8 m0,-8 l-8,8" />
          </g>
        </svg>{' '}
        Step failed: solid outline ending in ✕
      </li>
      <li>
        <svg class="tl-swatch" viewBox="0 0 24 14" width={24} height={14} aria-hidden="true">
          <g class="tl-bar tl-onboard tl-interrupted">
            <rect class="tl-bar-bg" x={1} y={2} width={20} height={10} rx={2} />
            <path class="tl-end-mark" d="M21,0 v14" />
          </g>
        </svg>{' '}
        Step started again before it completed: dotted outline, cut by a line
      </li>
      <li>
        <svg class="tl-swatch" viewBox="0 0 24 14" width={24} height={14} aria-hidden="true">
          <defs>
            <Hatch id="timeline-legend-hatch" />
          </defs>
          <g class="tl-bar tl-onboard tl-many">
            <rect class="tl-bar-bg" x={1} y={2} width={22} height={10} rx={2} />
            <rect class="tl-hatch" x={1} y={2} width={22} height={10} fill="url(#timeline-legend-hatch)" />
          </g>
        </svg>{' '}
        Striped: many runs or passes too close together to draw apart (zoom in to see each)
      </li>
      <li>{mark('accepted')} Job accepted</li>
      <li>{mark('completed')} Job completed</li>
      <li>{mark('failed')} Job failed</li>
      <li>Thin line in a lane: another event of that step (checkpoint, energy check…)</li>
    </ul>
  )
}
