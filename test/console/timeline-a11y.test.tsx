/** @jsxImportSource preact */
// Review: "status not told by colour alone" (issue 10, docs/console.md "Accessibility") on the timeline.
// A completed bar is filled (progress 100); a failed one and one "started again before it completed" are
// both unfilled, and differ from each other only by the outline's colour (console.css .tl-failed: stroke
// var(--failed), 2.5 px). The legend explains neither (its only "failed" is the job marker). The words are
// only in each bar's <title> (a hover tooltip).
import { expect, test } from 'bun:test'
import { renderToString } from 'preact-render-to-string'
import { TimelineChart, TimelineLegend } from '../../src/console/components/timeline'
import { buildTimeline } from '../../src/console/components/timeline-model'
import { fitView } from '../../src/console/components/timeline-view'
import { TimelinePanel } from '../../src/console/components/timeline-panel'

const at = (s: number) => new Date(Date.parse('2026-03-07T12:00:00Z') + s * 1000).toISOString()
const ev = (type: string, s: number, step: string) => ({ id: `${type}-${s}`, event_type: type, step_id: step, event_timestamp: at(s), payload: { location: 'onboard' } })

const model = buildTimeline(
  [ev('step.started', 0, 'ok'), ev('step.completed', 10, 'ok'), ev('step.started', 0, 'bad'), ev('step.failed', 10, 'bad'), ev('step.started', 0, 'again'), ev('step.started', 5, 'again'), ev('step.completed', 10, 'again')],
  { final: true },
)
const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
/** A bar's drawing without its class and its <title>: what a sighted user sees apart from colour. */
const shapeOf = (state: string) => {
  const g = new RegExp(`<g class="tl-bar [^"]*tl-${state}[^"]*">(.*?)</g>`).exec(svg)![1]!
  return g.replace(/<title>.*?<\/title>/, '').replace(/\s(x|width)="[^"]*"/g, '').replace(/\sy="[^"]*"/g, '')
}

test('a failed step is drawn differently from one cut short by a restart, not only in another colour', () => {
  console.log('completed:', shapeOf('completed'), '\nfailed:   ', shapeOf('failed'), '\ninterrupted:', shapeOf('interrupted'))
  expect(shapeOf('failed')).not.toBe(shapeOf('interrupted'))
})

test('the legend says what a failed step looks like (not only the job marker)', () => {
  const legend = renderToString(<TimelineLegend />).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
  console.log('legend:', legend)
  expect(legend.replace('Job failed', '')).toMatch(/fail/i)
})

test('the window line the keys change is announced (aria-live), as the live state line is', () => {
  const html = renderToString(<TimelinePanel model={model} view={fitView(model.extent)} mode="fit" controls={{ zoomIn() {}, zoomOut() {}, earlier() {}, later() {}, fit() {}, follow() {} }} />)
  const line = /<p class="tl-range[^"]*"[^>]*>/.exec(html)![0]
  console.log(line)
  expect(line).toMatch(/aria-live=/)
})
