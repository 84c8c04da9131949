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
