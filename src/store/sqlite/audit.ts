// The audit trail on SQLite: a record is written by the store method of the action it records, inside that
// method's transaction (docs/api.md §1 "Audit"), through writeAudit.
import type { Db } from '../../db/open'
import { auditLog } from '../../db/schema'
import type { AuditEntry } from '../../domain/audit'

/** A transaction of drizzle on bun:sqlite, or the database itself (a single statement is its own transaction). */
type Writer = Pick<Db, 'insert'>

/** Writes one record with the writer given: call it inside the action's own transaction. */
export function writeAudit(tx: Writer, entry: AuditEntry) {
  tx.insert(auditLog)
    .values({ ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) })
    .run()
}
