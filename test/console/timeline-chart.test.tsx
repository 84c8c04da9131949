/** @jsxImportSource preact */
// The timeline's SVG for big runs (docs/console.md "Deployment page and timeline"): marks too close together
// to draw apart are one striped shape with their count in words; the island's row range draws only some
// lanes at the height of all; a cut-off list says "continues past the drawn events"; the window line is
// announced unless the island says the run (not the viewer) moved it.
import { describe, expect, test } from 'bun:test'
import { renderToString } from 'preact-render-to-string'
import { chartHeight, TimelineChart } from '../../src/console/components/timeline'
import { buildTimeline, type TimelineEvent } from '../../src/console/components/timeline-model'
import { TimelinePanel } from '../../src/console/components/timeline-panel'
import { fitView } from '../../src/console/components/timeline-view'

const at = (s: number) => new Date(Date.parse('2026-03-07T12:00:00Z') + s * 1000).toISOString()
const ev = (type: string, s: number, step: string | null, payload: object = {}): TimelineEvent => ({ event_type: type, step_id: step, event_timestamp: at(s), payload })
const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0

describe('timeline chart for big runs', () => {
  test('5 000 passes over the whole run: a few striped shapes saying how many; zoomed in, each pass', () => {
    const model = buildTimeline(Array.from({ length: 5000 }, (_, i) => ev('transfer.pass_completed', i, 'down', { ground_station: `gs-${i % 3}` })))
    const whole = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    expect(count(whole, /<g class="tl-pass/g)).toBeLessThan(10)
    expect(whole).toContain('class="tl-pass tl-many"')
    expect(whole).toMatch(/<title>down: 5,000 passes over gs-0, gs-1, gs-2, 0:00 to 1:23:19, too close together to draw apart; zoom in to see each<\/title>/)
    expect(whole).toContain('fill="url(#timeline-hatch)"')
    expect(whole).not.toContain('style=')
    const zoomed = renderToString(<TimelineChart model={model} view={{ from: 100, to: 110 }} />)
    expect(zoomed).not.toContain('tl-many')
    expect(count(zoomed, /<g class="tl-pass"/g)).toBe(11)
  })

  test('many short runs of one step: one shape, the failed ones counted and marked', () => {
    const events = Array.from({ length: 2000 }, (_, i) => ev(i % 2 ? (i % 4 === 1 ? 'step.failed' : 'step.completed') : 'step.started', i, 'again'))
    const model = buildTimeline(events, { final: true })
    const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    expect(count(svg, /<g class="tl-bar /g)).toBeLessThan(10)
    expect(svg).toMatch(/again: 1,000 runs too close together to draw apart, 0:00 to 33:19 \(500 failed, 500 completed\); zoom in to see each/)
    expect(svg).toContain('class="tl-end-mark"')
  })

  test('the island’s row range: only those lanes, at their own place, in a chart as tall as all of them', () => {
    const events = Array.from({ length: 400 }, (_, i) => ev(i % 2 ? 'step.completed' : 'step.started', i, `s${Math.floor(i / 2)}`))
    const model = buildTimeline(events)
    const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} rows={{ first: 50, last: 59 }} />)
    expect(count(svg, /class="tl-lane-row"/g)).toBe(10)
    expect(svg).toContain('<title>s50</title>')
    expect(svg).toContain('<title>s59</title>')
    expect(svg).not.toContain('<title>s49</title>')
    expect(svg).toContain(`height="${chartHeight(200)}"`)
    // Lane 50's row is where it would be with every lane drawn (the odd lanes are striped).
    const all = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    const row = (html: string) => /<g class="tl-lane-row"><rect class="tl-lane" x="0" y="(\d+)"[^>]*><\/rect><text class="tl-label" x="8" y="\d+"><title>s50</.exec(html)?.[1]
    expect(row(all)).toBe(String(26 + 24 + 50 * 32))
    expect(row(svg)).toBe(row(all)!)
  })

  test('a cut-off list: open bars and passes continue past the drawn events, in words', () => {
    const events = [ev('step.started', 0, 'a'), ev('transfer.pass_started', 1, 'a', { station_name: 'Svalbard' }), ev('step.checkpoint', 9, 'a')]
    const model = buildTimeline(events, { final: true, truncated: true })
    expect(model.truncated).toBe(true)
    expect(model.lanes[0]!.bars[0]!.state).toBe('continues')
    const svg = renderToString(<TimelineChart model={model} view={fitView(model.extent)} />)
    expect(svg).toContain('<title>a (step): placement not reported, 0:00 to 0:09 (9 s), continues past the drawn events</title>')
    expect(svg).toContain('<title>a: pass over Svalbard, 0:01 to 0:09, continues past the drawn events</title>')
    expect(svg).not.toContain('never completed')
    const panel = renderToString(<TimelinePanel model={model} view={fitView(model.extent)} mode="fit" truncated={{ drawn: 3, total: 9 }} />)
    expect(panel).toContain('Only the first 3 events (of 9) are drawn')
    // Not cut off and terminal: never completed.
    const whole = buildTimeline(events, { final: true })
    expect(renderToString(<TimelineChart model={whole} view={fitView(whole.extent)} />)).toContain('never completed')
  })

  test('the window line: announced, except when the island says the run moved it', () => {
    const model = buildTimeline([ev('step.started', 0, 'a'), ev('step.completed', 5, 'a')])
    const line = (announce?: boolean) => /<p class="tl-range[^>]*>/.exec(renderToString(<TimelinePanel model={model} view={fitView(model.extent)} mode="fit" announce={announce} />))![0]
    expect(line()).toContain('aria-live="polite"')
    expect(line(true)).toContain('aria-live="polite"')
    expect(line(false)).toContain('aria-live="off"')
  })
})
