// Users and API keys (docs/api.md §1): their closed vocabularies. Pure.

/** Admins may manage users; operators may not. */
export const ROLES = ['admin', 'operator'] as const
export type Role = (typeof ROLES)[number]

/** The key's prefix: `rs_live_` or `rs_test_`. */
export const KEY_ENVIRONMENTS = ['live', 'test'] as const
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number]

/** What a key may do (docs/api.md §1 "Key scopes"): everything its user may, what an agent needs, or reads only. */
export const KEY_SCOPES = ['full', 'agent', 'read'] as const
export type KeyScope = (typeof KEY_SCOPES)[number]
