// Transactions and values on PostgreSQL: what every part of the backend shares.
import type { SQL } from 'bun'
import { isRetryable } from './errors'

/** A transaction's handle, or the pool: both run tagged queries. */
export type Sql = SQL

/** Tries of a transaction that keeps losing races with other nodes' (deadlock, serialization) before its error stands. */
const TRIES = 5

/**
 * Runs `work` in one transaction (READ COMMITTED), again from the start when it lost a race with another
 * transaction (a deadlock or a serialization failure: nothing of it was committed). Its other errors roll it
 * back and are thrown as they are. Resolves once COMMIT is answered, which synchronous_commit makes durable.
 */
export async function transaction<T>(sql: SQL, work: (tx: SQL) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await sql.begin((tx) => work(tx as unknown as SQL))) as T
    } catch (error) {
      if (attempt >= TRIES || !isRetryable(error)) throw error
    }
  }
}

/** An int8 column as a number (Bun's client reads int8 as text; every integer stored here stays below 2^53). */
export const int = (value: unknown): number => Number(value)
/** A nullable int8 column as a number or null. */
export const intOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))
