// Conformance cases for the audit trail (docs/api.md §1 "Audit"): records read back as written, newest
// first by (at, seq) through records of one instant, the actor and action filters alone and together, and
// pruning the oldest within its limit.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { AuditAction, AuditEntry } from '../../../src/domain/audit'
import type { AuditPage, AuditRecord } from '../../../src/store/types'
import type { Backend, OpenedStore } from './backend'
import { T0 } from './fixtures'

const entry = (at: number, action: AuditAction, actorId: string | null, detail: AuditEntry['detail'] = null): AuditEntry => ({
  at,
  actorId,
  actorEmail: actorId === null ? 'nobody@example.test' : `${actorId}@example.test`,
  action,
  target: actorId === null ? null : `target-${actorId}`,
  address: actorId === null ? null : '192.0.2.7',
  detail,
})

/** Every page of the log with these filters, `limit` records at a time. */
async function allAuditPages(list: (page: AuditPage) => Promise<AuditRecord[]>, limit: number, filters: Pick<AuditPage, 'actorId' | 'action'>) {
  const pages: AuditRecord[][] = []
  let after: AuditPage['after'] = null
  for (;;) {
    const page = await list({ limit, after, ...filters })
    if (page.length === 0) return pages
    pages.push(page)
    const last = page[page.length - 1]!
    after = { at: last.at, seq: last.seq }
  }
}

const strip = ({ seq: _seq, ...rest }: AuditRecord): AuditEntry => rest

export function auditCases(backend: Backend) {
  describe(`audit (${backend.name})`, () => {
    let opened: OpenedStore
    beforeEach(async () => {
      opened = await backend.open()
    })
    afterEach(() => opened.close())

    test('a record reads back as written, its detail parsed, with a seq', async () => {
      const { store } = opened
      const written = entry(T0, 'user.role', 'usr-1', { from: 'operator', to: 'admin', n: 3, ok: true, none: null })
      await store.recordAudit(written)
      await store.recordAudit(entry(T0 + 1, 'login_failed', null))
      const [failed, role] = await store.listAudit({ limit: 10, after: null, actorId: null, action: null })
      expect(strip(role!)).toEqual(written)
      expect(strip(failed!)).toEqual(entry(T0 + 1, 'login_failed', null))
      expect(Number.isSafeInteger(role!.seq)).toBe(true)
      expect(failed!.seq).toBeGreaterThan(role!.seq)
    })

    test('newest first by (at, seq): records of one instant come latest-written first, and pages never skip or repeat', async () => {
      const { store } = opened
      // Written out of time order: at decides first, then the order of writing.
      const ats = [T0 + 5, T0, T0 + 5, T0 + 5, T0 - 1, T0, T0 + 5, T0 + 9]
      for (const [i, at] of ats.entries()) await store.recordAudit(entry(at, 'login', `usr-${i}`))
      const one = await store.listAudit({ limit: 100, after: null, actorId: null, action: null })
      const expected = ats.map((at, i) => ({ at, i })).sort((a, b) => b.at - a.at || b.i - a.i).map(({ i }) => `usr-${i}`)
      expect(one.map((r) => r.actorId)).toEqual(expected)
      for (let k = 1; k < one.length; k++) {
        const [a, b] = [one[k - 1]!, one[k]!]
        expect(a.at > b.at || (a.at === b.at && a.seq > b.seq)).toBe(true)
      }
      const pages = await allAuditPages((p) => store.listAudit(p), 3, { actorId: null, action: null })
      expect(pages.map((p) => p.length)).toEqual([3, 3, 2])
      expect(pages.flat()).toEqual(one)
      // After the last record: nothing.
      expect(await store.listAudit({ limit: 10, after: { at: one[7]!.at, seq: one[7]!.seq }, actorId: null, action: null })).toEqual([])
    })

    test('the actor and action filters, alone and together, page through their own records', async () => {
      const { store } = opened
      const actions: AuditAction[] = ['login', 'logout', 'key.create', 'login']
      for (let i = 0; i < 12; i++) await store.recordAudit(entry(T0 + Math.floor(i / 3), actions[i % 4]!, i % 2 === 0 ? 'usr-a' : 'usr-b'))
      await store.recordAudit(entry(T0 + 1, 'login_failed', null))
      await store.recordAudit(entry(T0 + 2, 'login', null))
      const everything = await store.listAudit({ limit: 100, after: null, actorId: null, action: null })
      expect(everything).toHaveLength(14)
      const cases: Array<Pick<AuditPage, 'actorId' | 'action'>> = [
        { actorId: 'usr-a', action: null },
        { actorId: null, action: 'login' },
        { actorId: 'usr-a', action: 'login' },
        { actorId: 'usr-b', action: 'logout' },
        { actorId: 'usr-b', action: 'key.create' },
        { actorId: 'usr-unknown', action: null },
        { actorId: null, action: 'backup' },
      ]
      for (const filters of cases) {
        const want = everything.filter((r) => (filters.actorId === null || r.actorId === filters.actorId) && (filters.action === null || r.action === filters.action))
        const pages = await allAuditPages((p) => store.listAudit(p), 2, filters)
        expect(pages.flat()).toEqual(want)
        expect(pages.every((p) => p.length <= 2)).toBe(true)
      }
      // The login filter finds the record with no actor too; the actor filter never does.
      expect((await store.listAudit({ limit: 100, after: null, actorId: null, action: 'login' })).some((r) => r.actorId === null)).toBe(true)
      expect((await store.listAudit({ limit: 100, after: null, actorId: null, action: 'login_failed' })).map((r) => r.actorEmail)).toEqual(['nobody@example.test'])
    })

    test('pruneAudit deletes the oldest records written before the cutoff, at most `limit` at a time', async () => {
      const { store } = opened
      const ats = [T0 + 3, T0, T0 + 1, T0, T0 + 2, T0 + 4]
      for (const [i, at] of ats.entries()) await store.recordAudit(entry(at, 'login', `usr-${i}`))
      const left = async () => (await store.listAudit({ limit: 100, after: null, actorId: null, action: null })).map((r) => r.actorId)
      // Oldest first by (at, seq): the two at T0, usr-1 written before usr-3.
      expect(await store.pruneAudit(T0 + 3, 1)).toBe(1)
      expect(await left()).toEqual(['usr-5', 'usr-0', 'usr-4', 'usr-2', 'usr-3'])
      expect(await store.pruneAudit(T0 + 3, 2)).toBe(2)
      expect(await left()).toEqual(['usr-5', 'usr-0', 'usr-4'])
      // The cutoff is strict: the one at T0 + 3 stays.
      expect(await store.pruneAudit(T0 + 3, 100)).toBe(1)
      expect(await store.pruneAudit(T0 + 3, 100)).toBe(0)
      expect(await left()).toEqual(['usr-5', 'usr-0'])
    })

    test('a record written on one store is read by another on the same database', async () => {
      const { store } = opened
      const other = await opened.openAnother()
      await store.recordAudit(entry(T0, 'backup', 'usr-1'))
      const [record] = await other.listAudit({ limit: 10, after: null, actorId: 'usr-1', action: 'backup' })
      expect(strip(record!)).toEqual(entry(T0, 'backup', 'usr-1'))
      expect(await other.pruneAudit(T0 + 1, 10)).toBe(1)
      expect(await store.listAudit({ limit: 10, after: null, actorId: null, action: null })).toEqual([])
    })
  })
}
