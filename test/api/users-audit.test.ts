// The user lifecycle (docs/api.md §1 "Disabling a user") and the audit log
// (docs/api.md §1 "Audit"): PATCH /api/users/{id}, POST /api/users/{id}/password, GET /api/audit, and the
// records every audited action writes in its own transaction.
import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/log'
import { createRetention } from '../../src/services/retention'
import { countOf, createTenant, harnessPerTestWithPeers, onSqlite, PASSWORD, queryDb, type FixedClock, type Harness, type Tenant } from '../helpers'
import { LOCAL_AUTH_VERSION_FRESH_MS } from '../../src/auth/service'

let h: Harness
let clock: FixedClock
harnessPerTestWithPeers((harness, fixed) => {
  h = harness
  clock = fixed
})

const NEW_PASSWORD = 'a brand new passphrase'
const cookieOf = (reply: { headers: Headers }) => reply.headers.get('set-cookie')!.split(';')[0]!
const login = (email: string, password = PASSWORD, peer = '192.0.2.1') => h.request('POST', '/api/auth/login', { body: { email, password }, headers: { 'x-test-peer': peer } })
const me = (cookie: string) => h.request('GET', '/api/auth/me', { headers: { cookie } })
const patch = (admin: Tenant, id: string, body: unknown, peer = '192.0.2.9') => h.request('PATCH', `/api/users/${id}`, { body, headers: { cookie: admin.cookie, 'x-test-peer': peer } })
const reset = (admin: Tenant, id: string, body: unknown) => h.request('POST', `/api/users/${id}/password`, { body, headers: { cookie: admin.cookie } })
const idOf = async (email: string) => (await h.store.getUserByEmail(email))!.id
const audit = async (admin: Tenant, query = '') => {
  const reply = await h.request('GET', `/api/audit${query}`, { headers: { cookie: admin.cookie } })
  expect(reply.status).toBe(200)
  return reply.body as { records: Array<Record<string, any>>; next_cursor?: string }
}
/** Runs SQL on the database as another process would (sqlite3 or psql, a second server): either backend. */
const sql = (text: string) => queryDb(h, text)
const countAudit = () => countOf(h, 'SELECT count(*) AS n FROM audit_log')
/** A trigger that makes every audit record fail to be written, in the backend's own dialect; and its removal. */
async function refuseAudit() {
  if (onSqlite) return void (await sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END"))
  await sql("CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$")
  await sql('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()')
}
const allowAudit = () => sql(onSqlite ? 'DROP TRIGGER refuse_audit' : 'DROP TRIGGER refuse_audit ON audit_log')

describe('PATCH /api/users/{id}', () => {
  test('changes the role; answers the user; the change is recorded with who, when, from where', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    clock.advance(5)
    const reply = await patch(admin, opId, { role: 'admin' })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ id: opId, email: op.email, name: null, role: 'admin', created_at: '2026-03-07T12:00:00Z', disabled_at: null })
    // The promoted user may now manage users, with the session they already had.
    expect((await h.request('GET', '/api/users', { headers: { cookie: op.cookie } })).status).toBe(200)
    const [record] = (await audit(admin, '?action=user.role')).records
    expect(record).toEqual({
      id: expect.any(Number),
      at: '2026-03-07T12:00:05Z',
      action: 'user.role',
      actor_id: await idOf(admin.email),
      actor_email: admin.email,
      target: opId,
      address: '192.0.2.9',
      detail: { from: 'operator', to: 'admin' },
    })
  })

  test('disabling ends the user’s sessions and refuses their keys at once; re-enabling brings the keys back, not the sessions', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const second = cookieOf(await login(op.email))
    // The key is used first, so that the server remembers it (the key cache): disabling must make it forget.
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
    expect((await h.request('GET', '/api/agent/workloads', { headers: op.asAgent })).status).toBe(204) // nothing to do

    const disabled = await patch(admin, opId, { disabled: true })
    expect(disabled.status).toBe(200)
    expect(disabled.body.disabled_at).toBe('2026-03-07T12:00:00Z')
    expect((await me(op.cookie)).status).toBe(401)
    expect((await me(second)).status).toBe(401)
    expect(await sql(`SELECT id FROM sessions WHERE user_id = '${opId}'`)).toEqual([])
    for (const [path, headers] of [['/api/missions', op.asKey], ['/api/agent/workloads', op.asAgent]] as const) {
      const refused = await h.request('GET', path, { headers })
      expect(refused.status).toBe(401)
      expect(refused.body.code).toBe('UNAUTHORIZED')
    }
    // The user list says so; disabling again changes nothing (same instant, no second record).
    const listed = (await h.request('GET', '/api/users', { headers: { cookie: admin.cookie } })).body.users.find((u: { id: string }) => u.id === opId)
    expect(listed.disabled_at).toBe('2026-03-07T12:00:00Z')
    clock.advance(60)
    expect((await patch(admin, opId, { disabled: true })).body.disabled_at).toBe('2026-03-07T12:00:00Z')
    expect((await audit(admin, '?action=user.disable')).records).toHaveLength(1)

    clock.advance(60)
    const enabled = await patch(admin, opId, { disabled: false })
    expect(enabled.body.disabled_at).toBeNull()
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
    expect((await me(op.cookie)).status).toBe(401)
    expect((await login(op.email)).status).toBe(200)
    expect((await audit(admin)).records.slice(0, 2).map((r) => [r.action, r.target])).toEqual([
      ['login', opId],
      ['user.enable', opId],
    ])
  })

  test('a disabled user cannot log in: the same 401 as a wrong password, recorded as a failed login', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    await patch(admin, opId, { disabled: true })
    const rightPassword = await login(op.email)
    const wrongPassword = await login(op.email, 'not the password at all')
    const noSuchUser = await login('nobody@example.test')
    for (const reply of [rightPassword, wrongPassword, noSuchUser]) {
      expect(reply.status).toBe(401)
      expect(reply.headers.get('set-cookie')).toBeNull()
    }
    expect(rightPassword.body).toEqual(wrongPassword.body)
    expect(rightPassword.body).toEqual(noSuchUser.body)
    const failed = (await audit(admin, '?action=login_failed')).records
    expect(failed.map((r) => [r.actor_id, r.actor_email, r.detail])).toEqual([
      [null, 'nobody@example.test', { reason: 'unknown_email' }],
      [opId, op.email, { reason: 'wrong_password' }],
      [opId, op.email, { reason: 'disabled' }],
    ])
  })

  test('a user disabled by another process (sqlite3, psql) is refused too: the key memory follows the auth version (on SQLite within 100 ms)', async () => {
    const op = await createTenant(h)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
    await sql(`UPDATE users SET disabled_at = 1 WHERE email = '${op.email}'`)
    if (onSqlite) await Bun.sleep(LOCAL_AUTH_VERSION_FRESH_MS + 10)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(401)
    expect((await me(op.cookie)).status).toBe(401)
    await sql(`UPDATE users SET disabled_at = NULL WHERE email = '${op.email}'`)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
  })

  test('the last active admin can be neither demoted nor disabled (409); with another admin, either may be', async () => {
    const admin = await createTenant(h, 'admin')
    const adminId = await idOf(admin.email)
    for (const body of [{ role: 'operator' }, { disabled: true }, { role: 'operator', disabled: true }]) {
      const reply = await patch(admin, adminId, body)
      expect(reply.status).toBe(409)
      expect(reply.body.code).toBe('CONFLICT')
    }
    // A disabled admin is no active admin: it does not count.
    const other = await createTenant(h, 'admin')
    const otherId = await idOf(other.email)
    expect((await patch(admin, otherId, { disabled: true })).status).toBe(200)
    expect((await patch(admin, adminId, { role: 'operator' })).status).toBe(409)
    expect((await patch(admin, otherId, { disabled: false })).status).toBe(200)
    // Now there are two: one may step down (and the other is then the last).
    const demoted = await patch(admin, adminId, { role: 'operator' })
    expect(demoted.status).toBe(200)
    expect(demoted.body.role).toBe('operator')
    expect((await h.request('GET', '/api/users', { headers: { cookie: admin.cookie } })).status).toBe(403)
    const otherAdmin = { ...other, cookie: cookieOf(await login(other.email)) }
    expect((await patch(otherAdmin, otherId, { disabled: true })).status).toBe(409)
    expect(await countOf(h, "SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")).toBe(1)
    // Refused changes left no record.
    expect((await audit(otherAdmin, '?action=user.role')).records).toHaveLength(1)
  })

  test('an operator may still be disabled when one admin remains; an empty change changes nothing and records nothing', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const before = await countAudit()
    const same = await patch(admin, opId, {})
    expect(same.status).toBe(200)
    expect(same.body.role).toBe('operator')
    expect((await patch(admin, opId, { role: 'operator', disabled: false })).status).toBe(200)
    expect(await countAudit()).toBe(before)
  })

  test('unknown user 404 (before the body is judged); bad values 400 naming the field; an operator 403', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    for (const id of ['usr-unknown', 'x'.repeat(300)]) {
      const reply = await patch(admin, id, { role: 'admin' })
      expect(reply.status).toBe(404)
      expect(reply.body.code).toBe('NOT_FOUND')
    }
    expect((await patch(admin, 'usr-unknown', { role: 'root' })).status).toBe(404)
    for (const [body, field] of [
      [{ role: 'root' }, 'role'],
      [{ disabled: 'yes' }, 'disabled'],
      [{ disabled: 1 }, 'disabled'],
    ] as const) {
      const reply = await patch(admin, opId, body)
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith(`${field}:`)
    }
    const raw = await h.request('PATCH', `/api/users/${opId}`, { raw: '{"role":', headers: { cookie: admin.cookie } })
    expect(raw.status).toBe(400)
    const forbidden = await h.request('PATCH', `/api/users/${opId}`, { body: { role: 'admin' }, headers: { cookie: op.cookie } })
    expect(forbidden.status).toBe(403)
    expect((await h.store.getUserById(opId))!.role).toBe('operator')
  })
})

describe('POST /api/users/{id}/password', () => {
  test('sets the new password, ends every session of that user, leaves their keys alone, and is recorded', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const reply = await reset(admin, opId, { new_password: NEW_PASSWORD })
    expect(reply.status).toBe(204)
    expect(reply.text).toBe('')
    expect((await me(op.cookie)).status).toBe(401)
    expect((await me(admin.cookie)).status).toBe(200)
    expect((await login(op.email)).status).toBe(401)
    expect((await login(op.email, NEW_PASSWORD)).status).toBe(200)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
    const [record] = (await audit(admin, '?action=password.reset')).records
    expect(record).toMatchObject({ actor_email: admin.email, target: opId, detail: null })
    expect(JSON.stringify(record)).not.toContain(NEW_PASSWORD)
  })

  test('404 for an unknown user, 400 for a short or missing password, 403 for an operator', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    expect((await reset(admin, 'usr-unknown', { new_password: NEW_PASSWORD })).status).toBe(404)
    for (const body of [{ new_password: 'short' }, {}, { new_password: 12345678901 }]) {
      const reply = await reset(admin, opId, body)
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith('new_password:')
    }
    expect((await h.request('POST', `/api/users/${opId}/password`, { body: { new_password: NEW_PASSWORD }, headers: { cookie: op.cookie } })).status).toBe(403)
    expect((await login(op.email)).status).toBe(200)
  })
})

describe('GET /api/audit', () => {
  test('records each audited action: who, when, from which address, what', async () => {
    const admin = await createTenant(h, 'admin')
    const adminId = await idOf(admin.email)
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const step = () => clock.advance(1)
    step()
    const created = await h.request('POST', '/api/users', { body: { email: 'new@x.y', password: PASSWORD, role: 'admin' }, headers: { cookie: admin.cookie, 'x-test-peer': '198.51.100.1' } })
    step()
    const key = await h.request('POST', '/api/keys', { body: { name: 'ground station', environment: 'test' }, headers: { cookie: op.cookie } })
    step()
    await h.request('DELETE', `/api/keys/${key.body.id}`, { headers: { cookie: op.cookie } })
    await h.request('DELETE', `/api/keys/${key.body.id}`, { headers: { cookie: op.cookie } }) // again: nothing new
    step()
    const dep = await op.createDeployment('live')
    await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: op.asKey })
    expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: op.asKey })).status).toBe(409) // no record
    step()
    await h.request('POST', '/api/auth/password', { body: { current_password: PASSWORD, new_password: NEW_PASSWORD }, headers: { cookie: op.cookie } })
    step()
    // On PostgreSQL the backup is refused (409: pg_dump is the backup there), and nothing done is nothing recorded.
    const backup = await h.request('POST', '/api/admin/backup', { headers: { cookie: admin.cookie } })
    expect(backup.status).toBe(onSqlite ? 200 : 409)
    if (!onSqlite) expect(backup.body).toEqual({ error: expect.stringContaining('pg_dump'), code: 'CONFLICT' })
    step()
    await h.request('POST', '/api/auth/logout', { headers: { cookie: op.cookie, 'x-test-peer': '203.0.113.5' } })

    const { records } = await audit(admin)
    const summary = records.map((r) => [r.action, r.actor_id, r.target, r.address])
    expect(summary).toEqual([
      ['logout', opId, opId, '203.0.113.5'],
      ...(onSqlite ? [['backup', adminId, null, '192.0.2.1']] : []),
      ['password.change', opId, opId, '192.0.2.1'],
      ['deployment.cancel', opId, dep, '192.0.2.1'],
      ['key.revoke', opId, key.body.id, '192.0.2.1'],
      ['key.create', opId, key.body.id, '192.0.2.1'],
      ['user.create', adminId, created.body.id, '198.51.100.1'],
      ['key.create', opId, op.keyId, '192.0.2.1'],
      ['login', opId, opId, '192.0.2.1'],
      ['key.create', adminId, admin.keyId, '192.0.2.1'],
      ['login', adminId, adminId, '192.0.2.1'],
    ])
    const byAction = (action: string) => records.find((r) => r.action === action)!
    expect(byAction('user.create').detail).toEqual({ email: 'new@x.y', role: 'admin' })
    expect(byAction('key.create').detail).toEqual({ name: 'ground station', environment: 'test', scope: 'full', owner: opId })
    expect(byAction('deployment.cancel').detail).toEqual({ via: 'key' })
    if (onSqlite) expect(byAction('backup').detail).toEqual({ bytes: expect.any(Number) })
    expect(byAction('logout').at).toBe('2026-03-07T12:00:07Z')
    // No secret is ever in the log.
    const text = JSON.stringify(records)
    for (const secret of [PASSWORD, NEW_PASSWORD, key.body.key, op.key]) expect(text).not.toContain(secret)
  })

  test('newest first, cursor paged; filters by actor and action, which the cursor keeps', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    // Several in the same microsecond: the order still holds (the record number breaks ties).
    for (let i = 0; i < 5; i++) await h.request('POST', '/api/keys', { body: { name: `k${i}` }, headers: { cookie: op.cookie } })
    const all = (await audit(admin, '?limit=500')).records
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => b - a))
    const seen: number[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await audit(admin, `?limit=2&actor=${opId}&action=key.create${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.records.length).toBeLessThanOrEqual(2)
      for (const r of page.records) expect([r.actor_id, r.action]).toEqual([opId, 'key.create'])
      seen.push(...page.records.map((r) => r.id))
      cursor = page.next_cursor
      pages++
    } while (cursor)
    expect(seen).toHaveLength(6) // the tenant's own key, then five
    expect(new Set(seen).size).toBe(6)
    expect(pages).toBe(3)
    // A cursor is valid only with the filters it was made with.
    const first = await audit(admin, `?limit=2&actor=${opId}`)
    const mismatched = await h.request('GET', `/api/audit?limit=2&action=login&cursor=${first.next_cursor}`, { headers: { cookie: admin.cookie } })
    expect(mismatched.status).toBe(400)
    expect(mismatched.body.error).toStartWith('cursor:')
    expect((await audit(admin, '?actor=usr-nobody')).records).toEqual([])
  })

  test('bad filters are 400 naming them; an operator is 403; an API key is 401', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    for (const [query, field] of [
      ['?action=reboot', 'action'],
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?cursor=nonsense', 'cursor'],
      [`?actor=${'x'.repeat(129)}`, 'actor'],
      ['?actor=a%20b', 'actor'],
    ] as const) {
      const reply = await h.request('GET', `/api/audit${query}`, { headers: { cookie: admin.cookie } })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toStartWith(`${field}:`)
    }
    expect((await h.request('GET', '/api/audit', { headers: { cookie: op.cookie } })).status).toBe(403)
    expect((await h.request('GET', '/api/audit', { headers: admin.asKey })).status).toBe(401)
  })

  test('a record is written in the transaction of its action: when the record cannot be written, the action is not done either', async () => {
    const admin = await createTenant(h, 'admin')
    const op = await createTenant(h)
    const opId = await idOf(op.email)
    const dep = await op.createDeployment('live')
    await refuseAudit()
    const keysBefore = await countOf(h, 'SELECT count(*) AS n FROM api_keys')
    expect((await h.request('POST', '/api/keys', { body: { name: 'k' }, headers: { cookie: op.cookie } })).status).toBe(500)
    expect(await countOf(h, 'SELECT count(*) AS n FROM api_keys')).toBe(keysBefore)
    expect((await h.request('DELETE', `/api/keys/${op.keyId}`, { headers: { cookie: op.cookie } })).status).toBe(500)
    expect((await h.request('GET', '/api/missions', { headers: op.asKey })).status).toBe(200)
    expect((await h.request('POST', `/api/deployments/${dep}/cancel`, { headers: op.asKey })).status).toBe(500)
    expect((await h.store.getDeployment(opId, dep))!.status).toBe('pending')
    expect((await patch(admin, opId, { disabled: true })).status).toBe(500)
    expect((await me(op.cookie)).status).toBe(200)
    expect((await h.request('POST', '/api/users', { body: { email: 'n@x.y', password: PASSWORD }, headers: { cookie: admin.cookie } })).status).toBe(500)
    expect(await h.store.getUserByEmail('n@x.y')).toBeNull()
    expect((await reset(admin, opId, { new_password: NEW_PASSWORD })).status).toBe(500)
    expect((await login(op.email, NEW_PASSWORD)).status).toBe(500) // the failed login's record cannot be written either
    expect((await login(op.email)).status).toBe(500)
    expect(await countOf(h, 'SELECT count(*) AS n FROM sessions')).toBe(2)
    await allowAudit()
    expect((await login(op.email)).status).toBe(200)
  })

  test('retention: with --retention-days, records older than that are deleted in small batches; newer ones stay', async () => {
    const admin = await createTenant(h, 'admin')
    clock.advance(3 * 86_400)
    const recent = cookieOf(await login(admin.email))
    const old = (await countAudit()) - 1
    expect(old).toBeGreaterThanOrEqual(2)
    const batches: number[] = []
    const retention = createRetention({ store: h.store, clock, log: silentLogger, options: { retentionDays: 2, telemetryRetentionMicros: null }, batch: 1, onBatch: (n) => batches.push(n) })
    expect(await retention.sweep()).toMatchObject({ audit: old })
    expect(batches).toEqual(Array(old).fill(1))
    const left = (await audit({ ...admin, cookie: recent })).records
    expect(left.map((r) => [r.action, r.at])).toEqual([['login', '2026-03-10T12:00:00Z']])
  })
})
