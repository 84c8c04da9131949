// The console's part of issue 12's fleet and archive work (docs/console.md "Agents", "Archiving"): a lost
// agent flagged in words, deleting an agent behind a confirmation, archive and restore of a finished
// deployment and of a plan, and the lists' archived filters.
import { describe, expect, test } from 'bun:test'
import { createHarness, createTenant, event, fixedClock, PASSWORD, type Harness, type Tenant } from '../helpers'
import { rowOf, textOf } from './fleet-kit'
import { consoleLogin, csrfOf, page, postForm } from './kit'

async function world(options: Parameters<typeof createHarness>[0] = {}) {
  const clock = fixedClock()
  const h = createHarness({ clock, ...options })
  try {
    const t = await createTenant(h)
    const cookie = await consoleLogin(h, t.email, PASSWORD)
    return { h, clock, t, cookie }
  } catch (error) {
    await h.close() // no caller gets it to close: its database (on PostgreSQL) would outlive the run
    throw error
  }
}
const as = (t: Tenant, agentId: string) => ({ ...t.asKey, 'x-agent-id': agentId })

describe('agents', () => {
  test('a lost agent is flagged in words on /agents and on its page, instead of stale', async () => {
    const { h, clock, t, cookie } = await world({ agentLost: { afterMicros: 10 * 60e6, policy: 'flag' } })
    try {
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-gone') })
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-quiet') })
      clock.advance(11 * 60)
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-quiet') })
      expect((await h.app.services.agentLost.sweep()).lost).toBe(1)
      // The pages judge times against the wall clock (so the quiet agent is stale too, months after the fixed clock).
      const fleet = await page(h, '/agents', cookie)
      const lost = rowOf(fleet.text, 'sat-gone')!
      expect(lost).toContain('data-lost="true"')
      expect(lost).toContain('title="found lost at 2026-03-07T12:11:00Z"')
      expect(textOf(lost)).toMatch(/lost since \d+ days ago/)
      expect(textOf(lost)).not.toContain('stale')
      const quiet = rowOf(fleet.text, 'sat-quiet')!
      expect(quiet).not.toContain('data-lost')
      expect(textOf(quiet)).toContain('stale')
      expect(textOf(fleet.text)).toContain('1 agent on this page is lost.')
      const one = await page(h, '/agents/sat-gone', cookie)
      expect(one.text).toContain('title="found lost at 2026-03-07T12:11:00Z"')
      expect(textOf(one.text)).toContain('lost since')
    } finally {
      await h.close()
    }
  })

  test('delete: the agent page links to a confirmation; the form deletes it and says so on /agents', async () => {
    const { h, t, cookie } = await world()
    try {
      await h.request('POST', '/api/agent/telemetry', { body: { battery_percent: 5 }, headers: as(t, 'sat-old') })
      const one = await page(h, '/agents/sat-old', cookie)
      expect(one.text).toContain('href="/agents/sat-old/delete"')
      const confirm = await page(h, '/agents/sat-old/delete', cookie)
      expect(confirm.status).toBe(200)
      expect(textOf(confirm.text)).toContain('cannot be undone')
      expect(confirm.text).toContain('action="/agents/sat-old/delete"')
      const done = await postForm(h, '/agents/sat-old/delete', { csrf: csrfOf(confirm.text) }, cookie)
      expect(done.status).toBe(303)
      expect(done.headers.get('location')).toBe('/agents?deleted=sat-old')
      expect((await h.request('GET', '/api/agents/sat-old', { headers: t.asKey })).status).toBe(404)
      const fleet = await page(h, '/agents?deleted=sat-old', cookie)
      expect(textOf(fleet.text)).toContain('Agent sat-old deleted.')
      // Without the form's token nothing is deleted.
      await h.request('POST', '/api/agent/telemetry', { body: {}, headers: as(t, 'sat-kept') })
      const refused = await postForm(h, '/agents/sat-kept/delete', {}, cookie)
      expect(refused.status).toBe(403)
      expect((await h.request('GET', '/api/agents/sat-kept', { headers: t.asKey })).status).toBe(200)
      // An unknown agent: the API's 404 in words.
      expect((await page(h, '/agents/nobody/delete', cookie)).status).toBe(404)
    } finally {
      await h.close()
    }
  })
})

describe('archiving', () => {
  test('a finished deployment: archive from its page, gone from /, back with the filter, restored from its page', async () => {
    const { h, t, cookie } = await world()
    try {
      const running = await t.createDeployment('live')
      const done = await t.createDeployment('live')
      await h.request('POST', `/api/deployments/${done}/events`, { body: event('job.completed'), headers: t.asAgent })
      // Not finished: no archive form.
      expect((await page(h, `/deployments/${running}`, cookie)).text).not.toContain('data-archive-form')
      const before = await page(h, `/deployments/${done}`, cookie)
      expect(before.text).toContain(`action="/deployments/${done}/archive"`)
      const archived = await postForm(h, `/deployments/${done}/archive`, { csrf: csrfOf(before.text) }, cookie)
      expect(archived.status).toBe(303)
      expect(archived.headers.get('location')).toBe(`/deployments/${done}?archived=1`)
      const after = await page(h, `/deployments/${done}?archived=1`, cookie)
      expect(textOf(after.text)).toContain('Deployment archived.')
      expect(after.text).toContain(`action="/deployments/${done}/unarchive"`)
      const list = await page(h, '/', cookie)
      expect(rowOf(list.text, done)).toBeNull()
      expect(rowOf(list.text, running)).not.toBeNull()
      expect(list.text).toContain('id="filter-archived"')
      const only = await page(h, '/?archived=only', cookie)
      expect(rowOf(only.text, done)).toContain('data-archived="true"')
      expect(rowOf(only.text, running)).toBeNull()
      const all = await page(h, '/?archived=include', cookie)
      expect(rowOf(all.text, done)).not.toBeNull()
      expect(rowOf(all.text, running)).not.toBeNull()
      const restored = await postForm(h, `/deployments/${done}/unarchive`, { csrf: csrfOf(after.text) }, cookie)
      expect(restored.headers.get('location')).toBe(`/deployments/${done}?restored=1`)
      expect(textOf((await page(h, `/deployments/${done}?restored=1`, cookie)).text)).toContain('Deployment restored from the archive.')
      expect(rowOf((await page(h, '/', cookie)).text, done)).not.toBeNull()
    } finally {
      await h.close()
    }
  })

  test('a plan: archive from its page (no deployment form then), hidden on /missions unless shown, restored', async () => {
    const { h, t, cookie } = await world()
    try {
      const before = await page(h, `/plans/${t.planId}`, cookie)
      expect(before.text).toContain('id="start-deployment-form"')
      const archived = await postForm(h, `/plans/${t.planId}/archive`, { csrf: csrfOf(before.text) }, cookie)
      expect(archived.headers.get('location')).toBe(`/plans/${t.planId}?archived=1`)
      const after = await page(h, `/plans/${t.planId}?archived=1`, cookie)
      expect(textOf(after.text)).toContain('Plan archived.')
      expect(after.text).not.toContain('id="start-deployment-form"')
      expect(after.text).toContain(`action="/plans/${t.planId}/unarchive"`)
      const missions = await page(h, '/missions', cookie)
      expect(rowOf(missions.text, t.planId)).toBeNull()
      expect(missions.text).toContain('href="/missions?archived=include"')
      const shown = await page(h, '/missions?archived=include', cookie)
      expect(rowOf(shown.text, t.planId)).toContain('data-archived="true"')
      // The deployments page offers no archived plan to deploy.
      expect((await page(h, '/', cookie)).text).not.toContain(`value="${t.planId}"`)
      await postForm(h, `/plans/${t.planId}/unarchive`, { csrf: csrfOf(after.text) }, cookie)
      expect(rowOf((await page(h, '/missions', cookie)).text, t.planId)).not.toBeNull()
    } finally {
      await h.close()
    }
  })
})
