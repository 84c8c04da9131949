// Paging of the newest-first lists (docs/api.md §0 "Lists", docs/lists.md): `limit` and `cursor` read from the
// query, and the opaque cursor — the last served row's sort key plus a fingerprint of the list and its
// filters — that continues the list where the previous page stopped. The event list's cursors use the
// same codec with a position of their own (src/http/event-query.ts).
import { createHash } from 'node:crypto'
import { invalid } from '../domain/errors'
import { ARCHIVE_FILTERS, type ArchiveFilter, type PageQuery, type SortKey } from '../store/types'
import { intParam } from './query'

export const PAGE_LIMIT_DEFAULT = 100
export const PAGE_LIMIT_MAX = 500
/** Real cursors stay under ~300 characters (the longest id is 128 visible ASCII characters). */
export const CURSOR_MAX_CHARS = 512

const BASE64URL = /^[A-Za-z0-9_-]+$/
/** Every id in a list — server-made ones and agents' own (X-Agent-ID) — is 1 to 128 visible ASCII characters. */
const ID = /^[\x21-\x7e]{1,128}$/
const FINGERPRINT_CHARS = 16
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The request's query string; every list parameter is read from it through `queryParam`. */
export const queryOf = (request: Request) => new URL(request.url).searchParams

/** A parameter's value, undefined when absent. Given twice, the request guard has refused it already (src/http/request-guard.ts). */
export const queryParam = (query: URLSearchParams, name: string): string | undefined => query.get(name) ?? undefined

/** The `cursor` parameter, undefined when absent; with `offset` it is a 400 on every list (docs/api.md §0). */
export function cursorParam(query: URLSearchParams): string | undefined {
  const cursor = queryParam(query, 'cursor')
  if (cursor !== undefined && query.has('offset')) throw invalid('cursor', 'cannot be combined with offset')
  return cursor
}

/**
 * The `archived` filter of the deployment and plan lists (docs/lists.md "Archived"): `exclude` (the default:
 * archived rows are hidden), `include` or `only`. Part of the list's cursor scope.
 */
export function archivedParam(query: URLSearchParams): ArchiveFilter {
  const value = queryParam(query, 'archived') ?? 'exclude'
  if (!(ARCHIVE_FILTERS as readonly string[]).includes(value)) throw invalid('archived', `must be one of ${ARCHIVE_FILTERS.join(', ')}`)
  return value as ArchiveFilter
}

/** `{next_cursor}` on a page that has a next one; nothing at all on the last page (docs/api.md §0). */
export type NextCursor = { next_cursor: string } | Record<string, never>

/**
 * A list's place in its order, as its cursor carries it: `write` gives the values of a row's position,
 * `read` checks values read back from a cursor (null when they are not a position of this list).
 */
export type PositionCodec<T, P> = { arity: number; write(row: T): readonly (number | string)[]; read(values: unknown[]): P | null }

/**
 * Serves one page of a list in any order. `scope` names the list, its caller and its filters (e.g.
 * ['plans', userId, missionId]); a cursor made under another scope is refused. `load` receives one row
 * more than the page holds, which tells whether a next page exists without counting.
 */
export async function positionPage<T, P>(
  query: URLSearchParams,
  scope: readonly (string | null)[],
  codec: PositionCodec<NoInfer<T>, P>,
  load: (page: { limit: number; after: P | null }) => Promise<T[]>,
  { limitDefault = PAGE_LIMIT_DEFAULT } = {},
): Promise<{ items: T[]; next: NextCursor }> {
  const limitText = queryParam(query, 'limit')
  const limit = intParam({ limit: limitText }, 'limit', { min: 1, max: PAGE_LIMIT_MAX, fallback: limitDefault })
  const fingerprint = fingerprintOf(scope)
  // These lists have no offset; one sent with a cursor is refused all the same (docs/api.md §0), as the event list does.
  const cursor = cursorParam(query)
  const after = cursor === undefined ? null : decodePosition(cursor, fingerprint, codec.arity, codec.read)
  const rows = await load({ limit: limit + 1, after })
  if (rows.length <= limit) return { items: rows, next: {} }
  const items = rows.slice(0, limit)
  return { items, next: { next_cursor: encodePosition(codec.write(items[limit - 1]!), fingerprint) } }
}

/** The newest-first lists' position: (created_at, id). */
const SORT_KEY: PositionCodec<SortKey, SortKey> = {
  arity: 2,
  write: ({ createdAt, id }) => [createdAt, id],
  read: ([createdAt, id]) => (Number.isSafeInteger(createdAt) && typeof id === 'string' && ID.test(id) ? { createdAt: createdAt as number, id } : null),
}

/** One page of a newest-first list, ordered by (created_at, id). */
export const listPage = <T extends SortKey>(
  query: URLSearchParams,
  scope: readonly (string | null)[],
  load: (page: PageQuery) => Promise<T[]>,
  options: { limitDefault?: number } = {},
): Promise<{ items: T[]; next: NextCursor }> => positionPage<T, SortKey>(query, scope, SORT_KEY, load, options)

export function fingerprintOf(scope: readonly (string | null)[]): string {
  return createHash('sha256').update(JSON.stringify(scope)).digest('base64url').slice(0, FINGERPRINT_CHARS)
}

export const encodeCursor = (key: SortKey, fingerprint: string): string => encodePosition(SORT_KEY.write(key), fingerprint)

/** A cursor's text: base64url of the JSON array of a position's values, then the fingerprint. */
export function encodePosition(values: readonly (number | string)[], fingerprint: string): string {
  return Buffer.from(JSON.stringify([...values, fingerprint])).toString('base64url')
}

/**
 * A cursor is client input like any other: nothing in it is trusted until it has been checked — its size
 * first, then its alphabet, its JSON, its number of values, and each value's type and length (`read`
 * returns null when one is wrong) — so a forged one is a 400 and can only position the caller within the
 * caller's own rows (every list query is scoped to the caller).
 */
export function decodePosition<T>(text: string, fingerprint: string, arity: number, read: (values: unknown[]) => T | null): T {
  const malformed = () => invalid('cursor', 'is not a cursor of this list (use the next_cursor of the previous page)')
  if (text.length > CURSOR_MAX_CHARS || !BASE64URL.test(text)) throw malformed()
  const bytes = Buffer.from(text, 'base64url')
  // Base64 has several spellings of the same bytes (the trailing bits); only the one we write is a cursor.
  if (bytes.toString('base64url') !== text) throw malformed()
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(bytes))
  } catch {
    throw malformed()
  }
  if (!Array.isArray(value) || value.length !== arity + 1) throw malformed()
  const madeFor: unknown = value[value.length - 1]
  const position = typeof madeFor === 'string' ? read(value.slice(0, -1)) : null
  if (position === null) throw malformed()
  if (madeFor !== fingerprint) throw invalid('cursor', 'was made for another list or other filters (start again without it)')
  return position
}
