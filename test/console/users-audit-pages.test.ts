// Managing users and reading the audit log in the console (docs/console.md "Users", "Audit log"), through
// app.handle: role changes, disabling and enabling, password resets with their refusals next to the
// control; /audit for admins only, with its filters and their errors in words.
import { describe, expect, test } from 'bun:test'
import { createTenant, harnessPerTest, PASSWORD, type Harness } from '../helpers'
import { elementById, rowOf, textOf } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

let h: Harness
harnessPerTest((harness) => (h = harness))

async function signedIn(role: 'admin' | 'operator' = 'admin') {
  const t = await createTenant(h, role)
  const cookie = await consoleLogin(h, t.email, PASSWORD)
  const csrf = csrfOf((await page(h, '/keys', cookie)).text)
  const id = (await h.store.getUserByEmail(t.email))!.id
  return { t, cookie, csrf, id }
}
const idOf = async (email: string) => (await h.store.getUserByEmail(email))!.id

describe('/users: managing a user', () => {
  test('each user has a Manage… disclosure; making an admin, disabling, enabling: 303 and a notice in words', async () => {
    const { cookie, csrf } = await signedIn()
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const list = await page(h, '/users', cookie)
    const row = rowOf(list.text, opId)!
    expect(row).toContain('<summary>Manage…</summary>')
    expect(row).toContain('data-status="active"')
    expect(row).toContain(`action="/users/${opId}/disable"`)

    const promoted = await postForm(h, `/users/${opId}/role`, { csrf, role: 'admin' }, cookie)
    expect(promoted.status).toBe(303)
    const afterRole = await page(h, promoted.headers.get('location')!, cookie)
    expect(textOf(afterRole.text)).toContain(`${op.email} is now an admin.`)
    expect(rowOf(afterRole.text, opId)).toContain('data-role="admin"')

    const disabled = await postForm(h, `/users/${opId}/disable`, { csrf }, cookie)
    expect(disabled.status).toBe(303)
    const afterDisable = await page(h, disabled.headers.get('location')!, cookie)
    expect(textOf(afterDisable.text)).toContain(`${op.email} is disabled: their sessions ended and their keys answer 401.`)
    expect(rowOf(afterDisable.text, opId)).toContain('data-status="disabled"')
    expect(rowOf(afterDisable.text, opId)).toContain(`action="/users/${opId}/enable"`)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(401)

    const enabled = await postForm(h, `/users/${opId}/enable`, { csrf }, cookie)
    expect(textOf((await page(h, enabled.headers.get('location')!, cookie)).text)).toContain(`${op.email} is enabled again.`)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
  })

  test('the last active admin: the 409 in words next to the control, the disclosure left open', async () => {
    const { cookie, csrf, id } = await signedIn()
    for (const [path, fields, errorId] of [
      [`/users/${id}/role`, { csrf, role: 'operator' }, `role-error-${id}`],
      [`/users/${id}/disable`, { csrf }, `disabled-error-${id}`],
    ] as const) {
      const reply = await postForm(h, path, fields, cookie)
      expect(reply.status).toBe(409)
      expect(textOf(elementById(reply.text, errorId)!)).toContain('last active admin')
      expect(rowOf(reply.text, id)).toContain('<details class="confirm" open')
    }
    expect((await page(h, '/users', cookie)).status).toBe(200)
  })

  test('a password reset: the new one typed by the admin works, a short one is refused next to the field and never echoed', async () => {
    const { cookie, csrf } = await signedIn()
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const short = await postForm(h, `/users/${opId}/password`, { csrf, new_password: 'tiny' }, cookie)
    expect(short.status).toBe(400)
    expect(textOf(elementById(short.text, `new-password-error-${opId}`)!)).toContain('new_password: must be a string of 10 to 1024 characters')
    expect(short.text).toContain(`aria-describedby="new-password-hint-${opId} new-password-error-${opId}"`)
    const done = await postForm(h, `/users/${opId}/password`, { csrf, new_password: 'typed by the admin' }, cookie)
    expect(done.status).toBe(303)
    const after = await page(h, done.headers.get('location')!, cookie)
    expect(textOf(after.text)).toContain(`The password of ${op.email} was reset; their sessions ended.`)
    expect(after.text).not.toContain('typed by the admin')
    expect((await h.request('GET', '/api/auth/me', { headers: { cookie: op.cookie } })).status).toBe(401)
    await consoleLogin(h, op.email, 'typed by the admin')
  })

  test('an unknown user: 404 with the reason above the list; an operator: 403; a missing CSRF token: refused', async () => {
    const { cookie, csrf } = await signedIn()
    const gone = await postForm(h, '/users/usr-gone/disable', { csrf }, cookie)
    expect(gone.status).toBe(404)
    expect(textOf(gone.text)).toContain('That user no longer exists')
    const op = await signedIn('operator')
    const refused = await postForm(h, `/users/${op.id}/role`, { csrf: op.csrf, role: 'admin' }, op.cookie)
    expect(refused.status).toBe(403)
    expect((await h.store.getUserById(op.id))!.role).toBe('operator')
    const forged = await postForm(h, `/users/${op.id}/disable`, { csrf: 'not-the-token' }, cookie)
    expect(forged.status).toBe(403)
    expect((await h.store.getUserById(op.id))!.disabledAt).toBeNull()
  })
})

describe('/audit', () => {
  test('an admin reads the log newest first, with the actor, the action in words, the address and the details', async () => {
    const { t, cookie, csrf, id } = await signedIn()
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    await postForm(h, `/users/${opId}/disable`, { csrf }, cookie)
    await h.request('POST', '/api/auth/login', { body: { email: 'nobody@example.test', password: 'whatever it is' } })
    const reply = await page(h, '/audit', cookie)
    expect(reply.status).toBe(200)
    expect(reply.text).toContain('href="/audit"')
    const table = elementById(reply.text, 'audit')!
    const rows = [...table.matchAll(/data-action="([a-z_.]+)"/g)].map((m) => m[1])
    expect(rows.slice(0, 2)).toEqual(['login_failed', 'user.disable'])
    expect(textOf(table)).toContain('nobody@example.test')
    expect(textOf(table)).toContain('failed to log in')
    expect(textOf(table)).toContain('unknown_email')
    expect(textOf(table)).toContain(`${t.email} ${id}`)
    // The actor links to the log filtered by them.
    expect(table).toContain(`href="/audit?actor=${id}"`)
  })

  test('filters by action and actor, kept in the form; a bad filter is said next to it', async () => {
    const { cookie, id } = await signedIn()
    for (let i = 0; i < 3; i++) await consoleLogin(h, (await h.store.getUserById(id))!.email, PASSWORD)
    const logins = await page(h, `/audit?action=login&actor=${id}`, cookie)
    expect(logins.status).toBe(200)
    const actions = [...elementById(logins.text, 'audit')!.matchAll(/data-action="([a-z_.]+)"/g)].map((m) => m[1])
    expect(actions).toEqual(Array(5).fill('login')) // the tenant's, the console's, and three more
    expect(logins.text).toContain('<option value="login" selected>')
    const bad = await page(h, '/audit?action=reboot', cookie)
    expect(bad.status).toBe(400)
    expect(textOf(elementById(bad.text, 'f-action-error')!)).toContain('action: must be one of')
  })

  test('an operator: 403 in words, and no Audit link in the navigation', async () => {
    const { cookie } = await signedIn('operator')
    const reply = await page(h, '/audit', cookie)
    expect(reply.status).toBe(403)
    expect(textOf(reply.text)).toContain('only an admin may do this')
    expect(reply.text).not.toContain('href="/audit"')
  })
})
