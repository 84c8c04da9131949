// Newest-first pages on SQLite (PageQuery in src/store/types.ts): order by (created_at DESC, id DESC) and
// start just after the last row served. Ids are ASCII, so SQLite's binary text order is JavaScript's.
import { and, desc, lt, lte, or, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import type { PageQuery } from '../types'

export const newestFirst = (createdAt: SQLiteColumn, id: SQLiteColumn) => [desc(createdAt), desc(id)]

/**
 * The rows after `page.after` in that order. The `<=` term is the one an index on (…, created_at) can
 * range over; the second drops the rows of the same instant already served.
 */
export function afterKey(createdAt: SQLiteColumn, id: SQLiteColumn, page: PageQuery): SQL | undefined {
  const after = page.after
  if (!after) return undefined
  return and(lte(createdAt, after.createdAt), or(lt(createdAt, after.createdAt), lt(id, after.id)))
}
