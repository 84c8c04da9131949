/** @jsxImportSource preact */
// The deployment island (docs/console.md "Deployment page and timeline"): follows the deployment's events
// stream from the count the server page read, grows the timeline (the server's own components, rendered
// again, from a model that takes each event as it comes), keeps the status and the events table current,
// and lets the viewer zoom and pan in time. Only the lanes in the chart frame's view are drawn.
import { render } from 'preact'
import { DeploymentSummary, isTerminal } from '../components/deployment-summary'
import { EventsBlock, type EventItem } from '../components/event-table'
import { LANE_H, LANES_TOP, PLOT_W, timeAt, WIDTH, type RowRange } from '../components/timeline'
import { TimelineBuilder, timelineEventOf } from '../components/timeline-model'
import { TimelinePanel, type Controls, type ViewMode } from '../components/timeline-panel'
import { clampView, fitView, followView, panView, zoomView, type TimeView } from '../components/timeline-view'
import type { DeploymentIslandData } from '../pages/deployment'
import { path } from '../paths'
import { islandData, showLiveState } from './live'

/** The browser keeps at most this many events in the timeline (the server page draws at most 5 000). */
const CLIENT_MAX = 20_000
/** Redraws are gathered: at most one per this many milliseconds while events pour in… */
const REDRAW_MS = 150
/** …and, after a slow one, not before this many times its duration (so redraws take at most a fifth of the time). */
const SLOW_FACTOR = 4
/** Lanes drawn above and below those in the frame's view, so that a short scroll needs no redraw. */
const OVERSCAN = 15

/** Whether an event passes the table's filters (docs/events.md: `type` exact or `prefix.*`, `step_id` exact). */
export function matchesFilters(event: EventItem, filters: { type: string; step_id: string }): boolean {
  if (filters.type) {
    const prefix = filters.type.endsWith('.*') ? filters.type.slice(0, -1) : null
    if (prefix ? !event.event_type.startsWith(prefix) : event.event_type !== filters.type) return false
  }
  if (filters.step_id && event.step_id !== filters.step_id) return false
  return true
}

export function deploymentIsland(root: HTMLElement) {
  const data = islandData<DeploymentIslandData>('deployment-data')
  const summaryAt = root.querySelector<HTMLElement>('[data-summary]')
  const timelineAt = root.querySelector<HTMLElement>('[data-timeline]')
  if (!data || !summaryAt || !timelineAt) return
  const eventsAt = root.querySelector<HTMLElement>('[data-events]')
  const moreNote = root.querySelector<HTMLElement>('[data-events-more]')
  const { table } = data
  let deployment = data.deployment
  const seen = new Set(data.events.map((e) => e.id))
  let truncated = data.truncated
  let items = table.items
  /** The matches of the table's filters, as the page counted them, and those that came since. */
  let total = table.total
  const builder = new TimelineBuilder()
  builder.addAll(data.events)
  const snapshot = () => builder.snapshot({ final: isTerminal(deployment.status), truncated })
  let model = snapshot()
  let view: TimeView = fitView(model.extent)
  let mode: ViewMode = 'fit'
  let drag: { x: number; view: TimeView; scale: number } | null = null
  /** The lanes drawn (indexes among the chart's lanes): those in the frame's view and OVERSCAN more each side. */
  let rows: RowRange = { first: 0, last: 4 * OVERSCAN }
  /** Whether the window line is announced: when the viewer moved the window, not when the run grew. */
  let announce = true

  const move = (next: TimeView, nextMode: ViewMode = 'manual') => {
    view = next
    mode = nextMode
    announce = true
    drawTimeline()
  }
  /** Zooming while following keeps following, anchored at the last event; otherwise the window is the viewer's. */
  const zoom = (factor: number, center?: number) => {
    const whole = fitView(model.extent)
    if (mode === 'follow') return move(followView(zoomView(view, factor, model.extent, model.extent.end), model.extent), 'follow')
    const next = zoomView(view, factor, model.extent, center)
    move(next, next.from === whole.from && next.to === whole.to ? 'fit' : 'manual')
  }
  const controls: Controls = {
    zoomIn: () => zoom(0.5),
    zoomOut: () => zoom(2),
    earlier: () => move(panView(view, -0.25, model.extent)),
    later: () => move(panView(view, 0.25, model.extent)),
    fit: () => move(fitView(model.extent), 'fit'),
    follow: () => move(followView(view, model.extent), 'follow'),
  }
  /** The chart's x (its own units) under a pointer. */
  const unitsOf = (svg: SVGSVGElement, clientX: number) => {
    const box = svg.getBoundingClientRect()
    return ((clientX - box.left) * WIDTH) / (box.width || WIDTH)
  }
  const chart = {
    tabindex: 0,
    onKeyDown(e: KeyboardEvent) {
      const action = { '+': controls.zoomIn, '=': controls.zoomIn, '-': controls.zoomOut, _: controls.zoomOut, ArrowLeft: controls.earlier, ArrowRight: controls.later, '0': controls.fit, Home: controls.fit, End: controls.follow }[e.key]
      if (!action || e.altKey || e.ctrlKey || e.metaKey) return
      e.preventDefault()
      action()
    },
    // Ctrl + wheel zooms around the pointer, a sideways wheel (or Shift + wheel) pans; a plain wheel scrolls the page.
    onWheel(e: WheelEvent) {
      const svg = e.currentTarget as SVGSVGElement
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault()
        zoom(e.deltaY < 0 ? 0.8 : 1.25, timeAt(unitsOf(svg, e.clientX), view))
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault()
        const delta = e.shiftKey ? e.deltaY : e.deltaX
        move(panView(view, Math.sign(delta) * 0.1, model.extent))
      }
    },
    onPointerDown(e: PointerEvent) {
      if (e.button !== 0) return
      const svg = e.currentTarget as SVGSVGElement
      const box = svg.getBoundingClientRect()
      drag = { x: e.clientX, view, scale: WIDTH / (box.width || WIDTH) }
      svg.setPointerCapture(e.pointerId)
    },
    onPointerMove(e: PointerEvent) {
      if (!drag) return
      const units = (e.clientX - drag.x) * drag.scale
      if (Math.abs(units) < 3 && mode !== 'manual') return
      const shift = (-units / PLOT_W) * (drag.view.to - drag.view.from)
      move(clampView({ from: drag.view.from + shift, to: drag.view.to + shift }, model.extent))
    },
    onPointerUp() {
      drag = null
    },
    onPointerCancel() {
      drag = null
    },
  }

  /** The lanes in the scrolling frame's view, from its scroll position and the chart's scale; null before it is drawn. */
  function visibleRows(): RowRange | null {
    const frame = timelineAt!.querySelector<HTMLElement>('.tl-frame')
    const svg = frame?.querySelector('svg')
    if (!frame || !svg) return null
    const scale = svg.getBoundingClientRect().width / WIDTH || 1
    const top = frame.scrollTop / scale - LANES_TOP
    const bottom = (frame.scrollTop + frame.clientHeight) / scale - LANES_TOP
    return { first: Math.max(0, Math.floor(top / LANE_H)), last: Math.max(0, Math.ceil(bottom / LANE_H)) }
  }
  /** Draws the lanes come into view (after a scroll, a resize, or a chart that changed height), if any. */
  function followRows() {
    const visible = visibleRows()
    if (!visible || (visible.first >= rows.first && visible.last <= rows.last)) return
    rows = { first: Math.max(0, visible.first - OVERSCAN), last: visible.last + OVERSCAN }
    drawTimeline(false)
  }
  let scrolled = false
  const frame = {
    onScroll() {
      if (scrolled) return
      scrolled = true
      requestAnimationFrame(() => {
        scrolled = false
        followRows()
      })
    },
  }
  window.addEventListener('resize', () => frame.onScroll())

  function drawTimeline(check = true) {
    render(
      <TimelinePanel
        model={model}
        view={view}
        mode={mode}
        controls={controls}
        chart={chart}
        truncated={truncated ? { drawn: builder.count, total: deployment.event_count } : null}
        rows={rows}
        frame={frame}
        announce={announce}
      />,
      timelineAt!,
    )
    if (check) followRows()
  }
  let drawn: { deployment: typeof deployment; now: number } | null = null
  /** The summary again when the deployment changed (its status, its count), or its relative times aged a minute. */
  function drawSummary() {
    const now = Date.now()
    if (drawn && drawn.deployment === deployment && now - drawn.now < 60_000) return
    drawn = { deployment, now }
    render(<DeploymentSummary d={deployment} now={now} filters={table.filters} />, summaryAt!)
  }
  /** What the table shows changed since it was drawn (an event joined it, the count moved, the origin moved). */
  let tableChanged = true
  let tableOrigin = model.originMs
  function drawTable() {
    if (!tableChanged && tableOrigin === model.originMs) return
    tableChanged = false
    tableOrigin = model.originMs
    const filtered = table.filters.type !== '' || table.filters.step_id !== ''
    if (eventsAt) render(<EventsBlock items={items} total={total} originMs={model.originMs} filtered={filtered} paged={table.paged} />, eventsAt)
  }

  let pending: ReturnType<typeof setTimeout> | null = null
  /** How long the last redraw took (ms), layout included: the next waits SLOW_FACTOR times that. */
  let cost = 0
  /** Takes the model as it stands and redraws what changed, once per REDRAW_MS at most (longer after a slow redraw). */
  const redraw = () => {
    if (pending !== null) return
    pending = setTimeout(
      () => {
        pending = null
        const started = performance.now()
        model = snapshot()
        if (mode === 'fit') view = fitView(model.extent)
        else if (mode === 'follow') view = followView(view, model.extent)
        announce = false
        drawSummary()
        drawTimeline()
        drawTable()
        cost = performance.now() - started
      },
      Math.max(REDRAW_MS, SLOW_FACTOR * cost),
    )
  }

  /** A new event joins the table when it belongs on this page: the last page, matching, with room, not before it. */
  function addToTable(event: EventItem) {
    if (!matchesFilters(event, table.filters)) return
    total++
    tableChanged = true
    if (!eventsAt || !table.last || items.some((e) => e.id === event.id)) return
    const at = Date.parse(event.event_timestamp)
    if (table.paged && items.length > 0 && at < Date.parse(items[0]!.event_timestamp)) return
    if (items.length >= table.limit) {
      if (moreNote) moreNote.hidden = false
      return
    }
    items = [...items, event].sort((a, b) => Date.parse(a.event_timestamp) - Date.parse(b.event_timestamp))
  }

  for (const [at, draw] of [
    [summaryAt, drawSummary],
    [timelineAt, drawTimeline],
    [eventsAt, drawTable],
  ] as const) {
    if (!at) continue
    at.textContent = ''
    draw()
  }

  showLiveState(root, 'connecting')
  const source = new EventSource(`${path('/api/deployments', deployment.id, 'events', 'stream')}?after=${data.after}`)
  source.onopen = () => showLiveState(root, 'live')
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return showLiveState(root, 'reconnecting')
    const note = root.querySelector<HTMLElement>('[data-live-state]')
    if (note) note.textContent = 'Live updates are unavailable: reload the page to try again.'
  }
  const applyStatus = (message: MessageEvent) => {
    deployment = { ...deployment, ...(JSON.parse(message.data) as Partial<typeof deployment>) }
    redraw()
  }
  source.addEventListener('status', applyStatus)
  source.addEventListener('end', (message) => {
    source.close()
    applyStatus(message)
    showLiveState(root, 'ended')
  })
  source.onmessage = (message) => {
    const event = JSON.parse(message.data) as EventItem
    const arrival = Number(message.lastEventId)
    if (arrival > deployment.event_count) deployment = { ...deployment, event_count: arrival }
    // The page's lists may already hold events that arrived after the count it resumes from.
    if (seen.has(event.id)) return
    seen.add(event.id)
    if (builder.count < CLIENT_MAX) builder.add(timelineEventOf(event))
    else truncated = true
    addToTable(event)
    redraw()
  }
}
