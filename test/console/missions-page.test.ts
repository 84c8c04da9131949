// Missions and plans through app.handle (docs/console.md "Missions and plans"): the list with plans,
// creating a mission, creating a plan from an uploaded file or the built-in example, each bad file
// refused in words next to the file field with the status, a plan's events, starting a deployment.
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, PLAN_DATA, type Harness, type Tenant } from '../helpers'
import { elementById, postMultipart, rowOf, textOf, type Upload } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

async function signedIn(role: 'admin' | 'operator' = 'operator') {
  const t = await createTenant(h, role)
  const cookie = await consoleLogin(h, t.email, PASSWORD)
  const csrf = csrfOf((await page(h, '/missions', cookie)).text)
  return { t, cookie, csrf }
}

const planFields = (t: Tenant, csrf: string, extra: Record<string, string> = {}) => ({ csrf, mission_id: t.missionId, label: 'Uploaded', satellite_id: '25544', plan_source: 'file', ...extra })
const upload = (content: string | Uint8Array<ArrayBuffer>, name = 'plan.json'): Record<string, Upload> => ({ plan_file: { name, content } })

describe('/missions', () => {
  test('the user’s missions with their plans; nothing of another user’s', async () => {
    const { t, cookie } = await signedIn()
    const other = await createTenant(h)
    await h.request('POST', '/api/missions', { body: { name: 'Other user’s mission', description: 'secret' }, headers: other.asKey })
    const reply = await page(h, '/missions', cookie)
    expect(reply.status).toBe(200)
    const card = elementById(reply.text, `mission-${t.missionId}`)!
    expect(textOf(card)).toContain('ISS ML Pipeline')
    const plan = rowOf(reply.text, t.planId)!
    expect(plan).toContain(`href="/plans/${t.planId}"`)
    expect(textOf(plan)).toContain('On-Board ML Inference')
    expect(textOf(plan)).toContain('25544')
    expect(textOf(plan)).toMatch(/>?3/)
    expect(reply.text).not.toContain('Other user’s mission')
    expect(reply.text).not.toContain(other.missionId)
    expect(reply.text).not.toContain(other.planId)
  })

  test('new mission: 303 to the list, which says so; an empty name is the API’s 400 next to the name', async () => {
    const { cookie, csrf } = await signedIn()
    const created = await postForm(h, '/missions', { csrf, name: 'Lunar relay', description: 'Two lines\nof description' }, cookie)
    expect(created.status).toBe(303)
    const location = created.headers.get('location')!
    expect(location).toMatch(/^\/missions\?created=mis-[0-9a-z]+#mission-mis-[0-9a-z]+$/)
    const list = await page(h, location.split('#')[0]!, cookie)
    expect(textOf(list.text)).toContain('Mission “Lunar relay” created.')
    expect(textOf(list.text)).toContain('Two lines\nof description')
    const refused = await postForm(h, '/missions', { csrf, name: '', description: 'kept' }, cookie)
    expect(refused.status).toBe(400)
    expect(elementById(refused.text, 'f-name-error')).toContain('name:')
    expect(refused.text).toContain('aria-invalid="true"')
    expect(refused.text).toContain('>kept</textarea>')
  })

  test('a form without its token is refused', async () => {
    const { cookie } = await signedIn()
    expect((await postForm(h, '/missions', { name: 'x' }, cookie)).status).toBe(403)
    expect((await postMultipart(h, '/plans', { plan_source: 'example' }, {}, cookie)).status).toBe(403)
  })
})

describe('new plan', () => {
  test('from the built-in example: 303 to the plan, its label and satellite taken from the example', async () => {
    const { t, cookie, csrf } = await signedIn()
    const reply = await postMultipart(h, '/plans', { csrf, mission_id: t.missionId, label: '', satellite_id: '', satellite_name: '', preset: '', plan_source: 'example' }, {}, cookie)
    expect(reply.status).toBe(303)
    const location = reply.headers.get('location')!
    expect(location).toMatch(/^\/plans\/plan-[0-9a-z]+\?created=1$/)
    const id = location.slice('/plans/'.length).split('?')[0]!
    const plan = (await h.request('GET', `/api/plans/${id}`, { headers: t.asKey })).body
    expect(plan).toMatchObject({ label: 'On-Board ML Inference', satellite_id: '25544', satellite_name: 'ISS (ZARYA)', preset: 'onboard-ml-inference', event_count: 28 })
    const shown = await page(h, location, cookie)
    expect(textOf(shown.text)).toContain('Plan created.')
    expect(elementById(shown.text, 'plan-events')!.match(/<tr>/g)).toHaveLength(29)
  })

  test('from an uploaded file, the form’s fields winning over the file’s; exact numbers kept', async () => {
    const { t, cookie, csrf } = await signedIn()
    const file = JSON.stringify({ ...PLAN_DATA, satellite: { id: '99999', name: 'From file' } }).replace('"delivery_confidence":0.98', '"delivery_confidence":0.98,"counter":123456789012345678901')
    const reply = await postMultipart(h, '/plans', planFields(t, csrf, { satellite_name: '' }), upload(file), cookie)
    expect(reply.status).toBe(303)
    const id = reply.headers.get('location')!.slice('/plans/'.length).split('?')[0]!
    const stored = await h.request('GET', `/api/plans/${id}`, { headers: t.asKey })
    expect(stored.body).toMatchObject({ label: 'Uploaded', satellite_id: '25544', satellite_name: 'From file', event_count: 3 })
    expect(stored.text).toContain('"counter":123456789012345678901')
  })

  const badFiles: Array<[string, string | Uint8Array<ArrayBuffer>, string]> = [
    ['not JSON', '{"events": [\n  {"type": "job.accepted", "timestamp_s": 0,}\n]}', 'The file is not valid JSON — line 2, column 45: a trailing comma before \'}\''],
    ['a JSON array', '[{"type": "job.accepted", "timestamp_s": 0}]', 'The file holds an array, not a JSON object.'],
    ['no events', '{"preset": "x", "steps": []}', 'The file has no "events" field.'],
    ['events not an array', '{"events": "soon"}', 'The file\'s "events" is a string, not an array of events.'],
    ['no events at all', '{"events": []}', 'The file\'s "events" array is empty'],
    ['an empty file', '', 'The file is empty.'],
    ['not UTF-8', new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'The file is not UTF-8 text.'],
    ['an event without type', '{"events": [{"timestamp_s": 0, "message": "no type"}]}', 'Event 1 of the plan (events[0]): its "type" must be a dotted lowercase name'],
    ['a negative time', '{"events": [{"type": "job.accepted", "timestamp_s": 0}, {"type": "job.completed", "timestamp_s": -1}]}', 'Event 2 of the plan (events[1]): its "timestamp_s" must be a number'],
  ]
  test.each(badFiles)('%s: 400, said in words next to the file field, the other fields kept', async (_, content, words) => {
    const { t, cookie, csrf } = await signedIn()
    const reply = await postMultipart(h, '/plans', planFields(t, csrf), upload(content), cookie)
    expect(reply.status).toBe(400)
    const error = elementById(reply.text, 'f-plan_file-error')!
    expect(error).toContain('role="alert"')
    expect(textOf(error)).toContain(words)
    expect(reply.text).toMatch(/id="f-plan_file"[^>]*aria-invalid="true"/)
    expect(reply.text).toMatch(/id="f-label"[^>]*value="Uploaded"/)
    expect((await h.request('GET', '/api/plans', { headers: t.asKey })).body.plans).toHaveLength(1)
  })

  test('no file chosen at all: said next to the file field', async () => {
    const { t, cookie, csrf } = await signedIn()
    const reply = await postMultipart(h, '/plans', planFields(t, csrf), {}, cookie)
    expect(reply.status).toBe(400)
    expect(textOf(elementById(reply.text, 'f-plan_file-error')!)).toContain('Choose a plan file to upload, or start from the built-in example plan.')
  })

  test('a file over the API’s 1 MiB: the API’s 413 next to the file field', async () => {
    const { t, cookie, csrf } = await signedIn()
    const big = JSON.stringify({ events: [{ type: 'job.accepted', timestamp_s: 0 }], padding: 'x'.repeat(1024 * 1024) })
    const reply = await postMultipart(h, '/plans', planFields(t, csrf), upload(big), cookie)
    expect(reply.status).toBe(413)
    expect(textOf(elementById(reply.text, 'f-plan_file-error')!)).toContain('larger than 1 MiB')
  })

  test('a label left empty with nothing to take it from, another user’s mission, a label too long: each next to its field', async () => {
    const { t, cookie, csrf } = await signedIn()
    const other = await createTenant(h)
    const noLabel = await postMultipart(h, '/plans', planFields(t, csrf, { label: '' }), upload(JSON.stringify({ events: PLAN_DATA.events })), cookie)
    expect(noLabel.status).toBe(400)
    expect(textOf(elementById(noLabel.text, 'f-label-error')!)).toContain('label: give the plan a label')
    const foreign = await postMultipart(h, '/plans', planFields(t, csrf, { mission_id: other.missionId }), upload(JSON.stringify(PLAN_DATA)), cookie)
    expect(foreign.status).toBe(404)
    expect(textOf(elementById(foreign.text, 'f-mission_id-error')!)).toContain('mission not found')
    const long = await postMultipart(h, '/plans', planFields(t, csrf, { label: 'x'.repeat(201) }), upload(JSON.stringify(PLAN_DATA)), cookie)
    expect(long.status).toBe(400)
    expect(textOf(elementById(long.text, 'f-label-error')!)).toContain('label:')
  })

  test('“Add a plan to this mission” chooses that mission in the form', async () => {
    const { cookie } = await signedIn()
    const second = await h.request('POST', '/api/missions', { body: { name: 'Second' }, headers: { cookie } })
    const reply = await page(h, `/missions?mission_id=${second.body.id}`, cookie)
    expect(reply.text).toContain(`<option value="${second.body.id}" selected>`)
  })
})

describe('/plans/{id}', () => {
  test('the plan’s facts and events in play order, other fields as JSON, and the form that starts a deployment', async () => {
    const { t, cookie } = await signedIn()
    const reply = await page(h, `/plans/${t.planId}`, cookie)
    expect(reply.status).toBe(200)
    const events = elementById(reply.text, 'plan-events')!
    const rows = events.split('<tr>').slice(2).map(textOf)
    expect(rows[0]).toContain('0:00')
    expect(rows[0]).toContain('job.accepted')
    expect(rows[1]).toContain('0:10')
    expect(rows[1]).toContain('capture')
    expect(rows[2]).toContain('1:00')
    expect(rows[2]).toContain('"delivery_confidence": 0.98')
    expect(events).toContain('<details>')
    const form = elementById(reply.text, 'start-deployment-form')!
    expect(form).toContain('action="/deployments"')
    expect(form).toContain(`name="plan_id" value="${t.planId}"`)
    expect(form).toContain('name="mode" value="simulated"')
    expect(form).toContain('name="speed_multiplier"')
    const started = await postForm(h, '/deployments', { csrf: csrfOf(reply.text), plan_id: t.planId, mode: 'simulated', speed_multiplier: '1000' }, cookie)
    expect(started.status).toBe(303)
    expect(started.headers.get('location')).toMatch(/^\/deployments\/dep-/)
  })

  test('another user’s plan, or none: the API’s 404 in words', async () => {
    const { cookie } = await signedIn()
    const other = await createTenant(h)
    for (const id of [other.planId, 'plan-nope']) {
      const reply = await page(h, `/plans/${id}`, cookie)
      expect(reply.status).toBe(404)
      expect(textOf(reply.text)).toContain('plan not found')
      expect(reply.text).toContain('aria-current="page">Missions')
    }
  })
})
