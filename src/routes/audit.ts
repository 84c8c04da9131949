// The audit log (docs/api.md §1 "Audit"): admins read who did what, when and from where, newest first,
// cursor paged, filtered by actor and action. Records are written by the actions themselves (src/store).
import { Elysia, t } from 'elysia'
import { AUDIT_ACTIONS, type AuditAction } from '../domain/audit'
import { invalid } from '../domain/errors'
import { auditDto } from '../http/dto'
import { json } from '../http/json'
import { cursorParam, decodePosition, encodePosition, fingerprintOf, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, queryOf, queryParam } from '../http/paging'
import { intParam } from '../http/query'
import { documented, listQuery } from '../http/route-doc'
import { AuditPage } from '../http/schemas'
import type { RouteDeps } from './deps'

/** Ids are 1 to 128 visible ASCII characters (docs/api.md §0). */
const ACTOR = /^[\x21-\x7e]{1,128}$/

const AuditQuery = t.Object({
  ...listQuery,
  actor: t.Optional(t.String({ maxLength: 128, description: 'only the records of this user id (the actor)' })),
  action: t.Optional(t.UnionEnum(AUDIT_ACTIONS, { description: 'only the records of this action' })),
})

export const auditRoutes = ({ store, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/audit', prefix: '/api/audit' }).use(guard).get(
    '/',
    async ({ request }) => {
      const query = queryOf(request)
      const limit = intParam({ limit: queryParam(query, 'limit') }, 'limit', { min: 1, max: PAGE_LIMIT_MAX, fallback: PAGE_LIMIT_DEFAULT })
      const actor = queryParam(query, 'actor') ?? null
      if (actor !== null && !ACTOR.test(actor)) throw invalid('actor', 'must be a user id')
      const actionText = queryParam(query, 'action') ?? null
      if (actionText !== null && !(AUDIT_ACTIONS as readonly string[]).includes(actionText))
        throw invalid('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`)
      const action = actionText as AuditAction | null
      // The filters are part of the cursor's scope: a cursor is valid only with the filters it was made with.
      const fingerprint = fingerprintOf(['audit', actor, action])
      const cursor = cursorParam(query)
      const after =
        cursor === undefined
          ? null
          : decodePosition(cursor, fingerprint, 2, ([at, seq]) => (Number.isSafeInteger(at) && Number.isSafeInteger(seq) ? { at: at as number, seq: seq as number } : null))
      const rows = await store.listAudit({ limit: limit + 1, after, actorId: actor, action })
      const records = rows.slice(0, limit)
      const last = records[records.length - 1]
      return json({ records: records.map(auditDto), ...(rows.length > limit && last ? { next_cursor: encodePosition([last.at, last.seq], fingerprint) } : {}) })
    },
    {
      auth: 'admin',
      ...documented({
        tag: 'accounts',
        summary: 'Read the audit log, newest first',
        description:
          'Logins and failed logins, logouts, password changes and resets, key creation and revocation, user creation, role changes, disabling and enabling, deployment cancels and backups: who, when, from which address (docs/api.md §1 "Audit").',
        auth: 'admin',
        query: AuditQuery,
        response: { 200: AuditPage },
      }),
    },
  )
