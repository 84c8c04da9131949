/** @jsxImportSource preact */
// The timeline section's body: what the window shows, in words, the zoom controls (the island's only),
// and the chart in its scrolling frame. The same component on the server and in the island.
import type { HTMLAttributes, SVGAttributes } from 'preact'
import { laneInView, TimelineChart, missionClock, type RowRange } from './timeline'
import type { TimelineModel } from './timeline-model'
import { fitView, type TimeView } from './timeline-view'

/** How the window moves as the run grows: the whole run, the latest part, or where the viewer put it. */
export type ViewMode = 'fit' | 'follow' | 'manual'

export type Controls = {
  zoomIn(): void
  zoomOut(): void
  earlier(): void
  later(): void
  fit(): void
  follow(): void
}

type Props = {
  model: TimelineModel
  view: TimeView
  mode: ViewMode
  controls?: Controls
  chart?: SVGAttributes<SVGSVGElement>
  /** Set when only the first `drawn` of the deployment's `total` events are drawn. */
  truncated?: { drawn: number; total: number } | null
  /** The island's: the lanes in the frame's view (the others are not drawn), and the frame's scroll handler. */
  rows?: RowRange | null
  frame?: HTMLAttributes<HTMLDivElement>
  /**
   * Whether a change of the window line is announced (aria-live polite): yes when the viewer moved the
   * window, not when the run growing moved it (the island passes false then, or a screen reader would
   * hear the line at every redraw).
   */
  announce?: boolean
}

function factsText(model: TimelineModel, truncated: Props['truncated']): string {
  const steps = model.lanes.length
  let text = `${steps} step${steps === 1 ? '' : 's'} and ${model.placed} event${model.placed === 1 ? '' : 's'}, in mission time from the first event.`
  if (truncated) text += ` Only the first ${truncated.drawn} events (of ${truncated.total}) are drawn; the table and the export have them all. A step still open at the last drawn event continues past it: its end is not drawn.`
  if (model.skipped > 0) text += ` ${model.skipped} event${model.skipped === 1 ? '' : 's'} without a readable time left out.`
  return text
}

/** Past this many steps, a zoomed window draws only the steps with something in it. */
export const BUSY_ONLY_OVER = 12

function rangeText(model: TimelineModel, view: TimeView, mode: ViewMode, busyOnly: boolean): string {
  const whole = fitView(model.extent)
  const shown = `Showing ${missionClock(view.from)} to ${missionClock(view.to)}`
  if (mode === 'fit') return `${shown}: the whole run.`
  const share = Math.max(1, Math.round(((view.to - view.from) / (whole.to - whole.from)) * 100))
  const busy = busyOnly ? ` Steps drawn: the ${model.lanes.filter((lane) => laneInView(lane, view)).length} of ${model.lanes.length} with something in this window.` : ''
  return `${shown} of ${missionClock(whole.from)} to ${missionClock(whole.to)} (${share} %)${mode === 'follow' ? ', following the latest events' : ''}.${busy}`
}

export function TimelinePanel({ model, view, mode, controls, chart, truncated, rows, frame, announce = true }: Props) {
  const busyOnly = mode !== 'fit' && model.lanes.length > BUSY_ONLY_OVER
  return (
    <div class="tl-panel">
      <p class="muted">{factsText(model, truncated)}</p>
      {controls && (
        <div class="tl-controls" role="toolbar" aria-label="Timeline window" aria-controls="timeline">
          <button type="button" onClick={controls.zoomIn}>
            Zoom in <kbd aria-hidden="true">+</kbd>
          </button>
          <button type="button" onClick={controls.zoomOut}>
            Zoom out <kbd aria-hidden="true">−</kbd>
          </button>
          <button type="button" onClick={controls.earlier}>
            ← Earlier
          </button>
          <button type="button" onClick={controls.later}>
            Later →
          </button>
          <button type="button" onClick={controls.fit} aria-pressed={mode === 'fit'}>
            Fit all <kbd aria-hidden="true">0</kbd>
          </button>
          <button type="button" onClick={controls.follow} aria-pressed={mode === 'follow'}>
            Follow live <kbd aria-hidden="true">End</kbd>
          </button>
        </div>
      )}
      <p class="tl-range muted" aria-live={announce ? 'polite' : 'off'} aria-atomic="true">
        {rangeText(model, view, mode, busyOnly)}
      </p>
      <div class="tl-frame" {...frame}>
        <TimelineChart model={model} view={view} interactive={chart} busyOnly={busyOnly} rows={rows} />
      </div>
    </div>
  )
}
