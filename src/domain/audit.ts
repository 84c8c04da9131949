// The audit trail's vocabulary (docs/api.md §1 "Audit"): each action an admin may need to account for. Pure.

export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'logout',
  'password.change',
  'password.reset',
  'key.create',
  'key.revoke',
  'user.create',
  'user.role',
  'user.disable',
  'user.enable',
  'deployment.cancel',
  'backup',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

/** One record: who (null: nobody known), what, on what, from where, and anything else worth saying. */
export type AuditEntry = {
  at: number
  actorId: string | null
  actorEmail: string | null
  action: AuditAction
  target: string | null
  /** The client address; null from the command line. */
  address: string | null
  detail: Record<string, string | number | boolean | null> | null
}

/** Who acted, when and from where: what every record of one request shares. */
export type AuditActor = Pick<AuditEntry, 'at' | 'actorId' | 'actorEmail' | 'address'>

/** The longest email a failed login's record keeps (the login body allows 254; docs/api.md §1 "Audit"). */
export const AUDIT_EMAIL_MAX = 254

/** One record by this actor. */
export const auditEntry = (actor: AuditActor, action: AuditAction, target: string | null = null, detail: AuditEntry['detail'] = null): AuditEntry => ({
  ...actor,
  action,
  target,
  detail,
})

/** What changing a user records (docs/api.md §1 "Audit"): a role change, a disable, an enable; nothing for no change. */
export function userChangeEntries(
  actor: AuditActor,
  before: { id: string; role: string; disabledAt: number | null },
  after: { role: string; disabledAt: number | null },
): AuditEntry[] {
  const entries: AuditEntry[] = []
  if (before.role !== after.role) entries.push(auditEntry(actor, 'user.role', before.id, { from: before.role, to: after.role }))
  if (before.disabledAt === null && after.disabledAt !== null) entries.push(auditEntry(actor, 'user.disable', before.id))
  if (before.disabledAt !== null && after.disabledAt === null) entries.push(auditEntry(actor, 'user.enable', before.id))
  return entries
}
