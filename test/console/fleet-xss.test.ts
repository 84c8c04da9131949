// Hostile strings in every value the fleet pages show (the issue's Quality: "a test renders missions,
// plans, agents and payloads holding <script>, "><img onerror=…> and javascript: strings and finds them
// inert"): agent ids, versions and satellites; mission names and descriptions; plan labels, satellites,
// presets and events; key and user names. Each page shows them only escaped, and no link leads to them.
import { expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, type Harness } from '../helpers'
import { postMultipart } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

const SCRIPT = '<script>alert(1)</script>'
const IMG = '"><img src=x onerror=alert(1)>'
const JS = 'javascript:alert(1)'
const HOSTILE = [SCRIPT, IMG, JS]
// Agent ids are visible ASCII without spaces (docs/api.md §4).
const AGENT_IDS = [SCRIPT, '"><img/src=x/onerror=alert(1)>', JS]

function expectInert(html: string, where: string) {
  const context = (needle: string) => html.slice(Math.max(0, html.indexOf(needle) - 80), html.indexOf(needle) + 80)
  for (const raw of ['<script>alert', '<img']) if (html.includes(raw)) throw new Error(`${where}: raw ${raw} in …${context(raw)}…`)
  expect(html).not.toMatch(/(href|src|action|formaction)="\s*javascript:/i)
  expect(html).not.toMatch(/\sstyle=/)
  // Only the console's own scripts: the bundle, and JSON data blocks.
  for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/^<script (type="module" src="\/assets\/console\.js\?v=[a-z0-9]+"|type="application\/json" id="[a-z-]+")>$/)
}

test('every hostile string is shown escaped and inert on every fleet page', async () => {
  const t = await createTenant(h, 'admin')
  const cookie = await consoleLogin(h, t.email, PASSWORD)
  const csrf = csrfOf((await page(h, '/missions', cookie)).text)
  for (const [i, id] of AGENT_IDS.entries()) {
    const headers = { ...t.asKey, 'x-agent-id': id }
    await h.request('POST', '/api/agent/register', { body: { agent_id: id, satellite_id: HOSTILE[i]!.slice(0, 64), satellite_name: HOSTILE[i], agent_version: HOSTILE[i]!.slice(0, 64) }, headers })
    await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: 50, temperature_c: 1 }, headers })
  }
  const planIds: string[] = []
  for (const s of HOSTILE) {
    const created = await postForm(h, '/missions', { csrf, name: s, description: `${s}\n${s}` }, cookie)
    expect(created.status).toBe(303)
    const missionId = new URL(created.headers.get('location')!, 'http://x').searchParams.get('created')!
    const file = JSON.stringify({
      preset: { id: s, name: s },
      satellite: { id: s, name: s },
      [s]: s,
      events: [
        { type: 'job.accepted', timestamp_s: 0, message: s, step_id: s, [s]: s },
        { type: 'step.progress', timestamp_s: 5, message: { html: s }, detail: [s] },
      ],
    })
    const plan = await postMultipart(h, '/plans', { csrf, mission_id: missionId, label: s, satellite_id: s.slice(0, 64), satellite_name: s, preset: s, plan_source: 'file' }, { plan_file: { name: `${s}.json`, content: file } }, cookie)
    expect(plan.status).toBe(303)
    planIds.push(plan.headers.get('location')!.split('/')[2]!.split('?')[0]!)
    // A refused file shows the user's values again, escaped as well.
    const refused = await postMultipart(h, '/plans', { csrf, mission_id: missionId, label: s, satellite_id: s, satellite_name: s, preset: s, plan_source: 'file' }, { plan_file: { name: 'x.json', content: `{"events": [${JSON.stringify(s)}]}` } }, cookie)
    expect(refused.status).toBe(400)
    expectInert(refused.text, `refused plan ${s}`)
    const key = await postForm(h, '/keys', { csrf, name: s }, cookie)
    expect(key.status).toBe(200)
    expectInert(key.text, `new key ${s}`)
    const user = await postForm(h, '/users', { csrf, email: `u${HOSTILE.indexOf(s)}@example.test`, password: 'long enough password', name: s }, cookie)
    expect(user.status).toBe(303)
    // A refusal that names the input: the API's message holds the hostile text.
    const taken = await postForm(h, '/users', { csrf, email: `u${HOSTILE.indexOf(s)}@example.test`, password: 'long enough password', name: s }, cookie)
    expect(taken.status).toBe(409)
    expectInert(taken.text, `taken ${s}`)
  }
  const pages = ['/agents', ...AGENT_IDS.map((id) => `/agents/${encodeURIComponent(id)}`), '/missions', ...planIds.map((id) => `/plans/${id}`), '/keys', '/users', '/']
  for (const path of pages) {
    const reply = await page(h, path, cookie)
    expect(reply.status).toBe(200)
    expectInert(reply.text, path)
  }
  // The strings are there, as text: escaped, not dropped.
  const agents = (await page(h, '/agents', cookie)).text
  expect(agents).toContain('&lt;script>alert(1)&lt;/script>')
  expect(agents).toContain(`href="/agents/${encodeURIComponent(SCRIPT)}"`)
  expect(agents).toContain(`href="/agents/${encodeURIComponent(JS)}"`)
  const plan = (await page(h, `/plans/${planIds[0]}`, cookie)).text
  expect(plan).toContain('&lt;script>alert(1)&lt;/script>')
  const missions = (await page(h, '/missions', cookie)).text
  expect(missions).toContain('&quot;>&lt;img src=x onerror=alert(1)>')
})
