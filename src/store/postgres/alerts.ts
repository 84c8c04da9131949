// What the PostgreSQL stores whose writes raise webhook alerts share (src/store/postgres/webhooks.ts
// implements it): the alert is written in the transaction of the change it reports.
import type { AlertEvent } from '../../domain/webhooks'
import type { Sql } from './tx'

export type PgAlertOutbox = {
  /**
   * Inside the caller's transaction `tx`: one pending row, due now, per webhook of the user that takes
   * `event`; `data` is made only when one does. Answers how many rows it wrote.
   */
  write(tx: Sql, userId: string, event: AlertEvent, data: () => Record<string, unknown>, now: number): Promise<number>
}
