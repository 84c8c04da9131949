// Webhooks through app.handle (docs/console.md "Webhooks"): a new webhook with its secret shown once, the
// API's refusals next to their field, a test delivery and the delivery log, deleting with a confirmation;
// nothing of another user's webhooks.
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, type Harness } from '../helpers'
import { elementById, rowOf, textOf } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

async function signedIn() {
  const t = await createTenant(h)
  const cookie = await consoleLogin(h, t.email, PASSWORD)
  const csrf = csrfOf((await page(h, '/webhooks', cookie)).text)
  return { t, cookie, csrf }
}
/** The form as a browser sends it: a field per ticked box. */
const createForm = (csrf: string, url: string, events: string[]) => ({ csrf, url, ...Object.fromEntries(events.map((e) => [`event.${e}`, 'on'])) })

describe('/webhooks', () => {
  test('empty at first, with the form (two alerts ticked by default) and the nav link', async () => {
    const { cookie } = await signedIn()
    const reply = await page(h, '/webhooks', cookie)
    expect(reply.status).toBe(200)
    expect(textOf(reply.text)).toContain('You have no webhook yet.')
    expect(reply.text).toContain('<a href="/webhooks" aria-current="page">Webhooks</a>')
    const form = elementById(reply.text, 'new-webhook-form')!
    expect(form).toMatch(/<input type="checkbox" name="event.deployment.failed" value="on" checked/)
    expect(form).toMatch(/<input type="checkbox" name="event.agent.lost" value="on" checked/)
    expect(form).toMatch(/<input type="checkbox" name="event.deployment.completed" value="on"\s*\/?>/)
  })

  test('a new webhook: its secret once (no-store, copy button), then the list without it', async () => {
    const { cookie, csrf } = await signedIn()
    const reply = await postForm(h, '/webhooks', createForm(csrf, 'http://chat.lan:8065/hooks/x', ['deployment.failed', 'deployment.completed']), cookie)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const secret = textOf(elementById(reply.text, 'new-secret')!).trim()
    expect(secret).toMatch(/^whsec_/)
    expect(reply.text.split(secret)).toHaveLength(2)
    expect(textOf(reply.text)).toContain('Copy its signing secret now: it will not be shown again.')
    expect(reply.text).toMatch(/<button type="button" data-copy-target="new-secret" hidden>/)
    const list = await page(h, '/webhooks', cookie)
    expect(list.text).not.toContain(secret)
    const [hook] = (await h.request('GET', '/api/webhooks', { headers: { cookie } })).body.webhooks
    const row = rowOf(list.text, hook.id)!
    expect(textOf(row)).toContain('http://chat.lan:8065/hooks/x')
    expect(textOf(row)).toContain('deployment.completed, deployment.failed')
  })

  test('refusals in words next to their field, the form kept', async () => {
    const { cookie, csrf } = await signedIn()
    const bad = await postForm(h, '/webhooks', createForm(csrf, 'http://user:pw@chat.lan/x', ['agent.lost']), cookie)
    expect(bad.status).toBe(400)
    expect(textOf(elementById(bad.text, 'f-url-error')!)).toContain('must not hold credentials')
    expect(bad.text).toContain('value="http://user:pw@chat.lan/x"')
    const none = await postForm(h, '/webhooks', createForm(csrf, 'http://chat.lan/x', []), cookie)
    expect(none.status).toBe(400)
    expect(textOf(elementById(none.text, 'f-events-error')!)).toContain('Choose at least one alert.')
    expect((await h.request('GET', '/api/webhooks', { headers: { cookie } })).body.webhooks).toHaveLength(0)
  })

  test('a test delivery lands in the log; delete asks first, then the webhook is gone', async () => {
    const { cookie, csrf } = await signedIn()
    await postForm(h, '/webhooks', createForm(csrf, 'http://127.0.0.1:1/hook', ['agent.lost']), cookie)
    const [hook] = (await h.request('GET', '/api/webhooks', { headers: { cookie } })).body.webhooks
    const empty = await page(h, `/webhooks/${hook.id}`, cookie)
    expect(textOf(empty.text)).toContain('Nothing has been sent to this webhook yet.')
    const ping = await postForm(h, `/webhooks/${hook.id}/ping`, { csrf }, cookie)
    expect(ping.status).toBe(303)
    expect(ping.headers.get('location')).toBe(`/webhooks/${hook.id}?pinged=1`)
    const log = await page(h, `/webhooks/${hook.id}?pinged=1`, cookie)
    expect(textOf(log.text)).toContain('A test delivery (ping) is on its way')
    const [delivery] = (await h.request('GET', `/api/webhooks/${hook.id}/deliveries`, { headers: { cookie } })).body.deliveries
    const row = rowOf(log.text, delivery.id)!
    expect(row).toContain('data-state="pending"')
    expect(textOf(row)).toContain('ping')
    expect(textOf(row)).toContain('not tried yet')
    // Deleting sits behind a <details> confirmation with the consequence in words.
    const list = await page(h, '/webhooks', cookie)
    expect(textOf(rowOf(list.text, hook.id)!)).toContain('Deleting is final')
    const deleted = await postForm(h, `/webhooks/${hook.id}/delete`, { csrf }, cookie)
    expect(deleted.status).toBe(303)
    expect(deleted.headers.get('location')).toBe('/webhooks?deleted=1')
    expect(textOf((await page(h, '/webhooks?deleted=1', cookie)).text)).toContain('Webhook deleted')
    expect((await page(h, `/webhooks/${hook.id}`, cookie)).status).toBe(404)
  })

  test('another user’s webhook: not listed, its log is 404, its forms change nothing', async () => {
    const { cookie, csrf } = await signedIn()
    const other = await createTenant(h)
    const theirs = (await h.request('POST', '/api/webhooks', { body: { url: 'http://127.0.0.1:1/theirs', events: ['agent.lost'] }, headers: other.asKey })).body
    expect((await page(h, '/webhooks', cookie)).text).not.toContain(theirs.id)
    expect((await page(h, `/webhooks/${theirs.id}`, cookie)).status).toBe(404)
    expect((await postForm(h, `/webhooks/${theirs.id}/delete`, { csrf }, cookie)).status).toBe(404)
    expect((await postForm(h, `/webhooks/${theirs.id}/ping`, { csrf }, cookie)).status).toBe(404)
    expect((await h.request('GET', `/api/webhooks/${theirs.id}/deliveries`, { headers: other.asKey })).body.deliveries).toHaveLength(0)
  })
})
