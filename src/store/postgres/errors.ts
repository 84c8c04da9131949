// How PostgreSQL failures are told apart (docs/postgres.md "When the database is down"): the database
// cannot take the request now (503 UNAVAILABLE, the node recovers by itself when it can again), a
// transaction lost a race with another node's and is run again, or a defect (500).

const code = (error: unknown) => (error as { code?: unknown } | null)?.code
/** The SQLSTATE of a server error (Bun's PostgresError carries it as `errno`). */
export const sqlState = (error: unknown): string | null => {
  if (code(error) !== 'ERR_POSTGRES_SERVER_ERROR') return null
  const state = (error as { errno?: unknown }).errno
  return typeof state === 'string' ? state : null
}

/**
 * SQLSTATE classes and codes that mean "not now": connection exceptions (08), insufficient resources
 * (53: disk full, out of memory, too many connections), operator intervention (57: shutdown, cannot
 * connect now, a statement timeout), system errors (58: I/O), and a read-only server (25006: a standby).
 */
const UNAVAILABLE_STATE = /^(08|53|57|58)|^25006$|^55P03$/

const CONNECTION_FAILURE = /^ERR_POSTGRES_(CONNECTION_|IDLE_TIMEOUT|LIFETIME_TIMEOUT|TLS_|COMMIT_ROLLED_BACK|QUERY_CANCELLED)|^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/

/** Store.isUnavailable for PostgreSQL. */
export function isPostgresUnavailable(error: unknown): boolean {
  const c = code(error)
  if (typeof c !== 'string') return false
  if (c === 'ERR_POSTGRES_SERVER_ERROR') return UNAVAILABLE_STATE.test(sqlState(error) ?? '')
  // The connection itself failing (refused, closed, timed out, TLS); not the client's own errors about a
  // query (ERR_POSTGRES_SYNTAX_ERROR, TOO_MANY_PARAMETERS, …), which are defects.
  return CONNECTION_FAILURE.test(c)
}

/** A transaction that lost a race with another one (deadlock, serialization): safe to run again from the start. */
export const isRetryable = (error: unknown) => {
  const state = sqlState(error)
  return state === '40001' || state === '40P01'
}
