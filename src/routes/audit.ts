// The audit log (docs/api.md §1 "Audit"): admins read who did what, when and from where, newest first,
// cursor paged, filtered by actor and action. Records are written by the actions themselves (src/store).
import { Elysia, t } from 'elysia'
import { AUDIT_ACTIONS, type AuditAction } from '../domain/audit'
import { invalid } from '../domain/errors'
import { auditDto } from '../http/dto'
import { json } from '../http/json'
import { positionPage, queryOf, queryParam, type PositionCodec } from '../http/paging'
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

/** A record's place in the log, newest first: (at, seq). */
const AUDIT_POSITION: PositionCodec<{ at: number; seq: number }, { at: number; seq: number }> = {
  arity: 2,
  write: ({ at, seq }) => [at, seq],
  read: ([at, seq]) => (Number.isSafeInteger(at) && Number.isSafeInteger(seq) ? { at: at as number, seq: seq as number } : null),
}

export const auditRoutes = ({ store, guard }: RouteDeps) =>
  new Elysia({ name: 'routes/audit', prefix: '/api/audit' }).use(guard).get(
    '/',
    async ({ request }) => {
      const query = queryOf(request)
      const actor = queryParam(query, 'actor') ?? null
      if (actor !== null && !ACTOR.test(actor)) throw invalid('actor', 'must be a user id')
      const actionText = queryParam(query, 'action') ?? null
      if (actionText !== null && !(AUDIT_ACTIONS as readonly string[]).includes(actionText))
        throw invalid('action', `must be one of ${AUDIT_ACTIONS.join(', ')}`)
      const action = actionText as AuditAction | null
      // The filters are part of the cursor's scope: a cursor is valid only with the filters it was made with.
      const { items, next } = await positionPage(query, ['audit', actor, action], AUDIT_POSITION, ({ limit, after }) => store.listAudit({ limit, after, actorId: actor, action }))
      return json({ records: items.map(auditDto), ...next })
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
