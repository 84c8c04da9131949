// Writing one audit record inside the transaction of the action it records (docs/api.md §1 "Audit"); the
// audit store (src/store/postgres/audit.ts) reads and prunes them.
import type { AuditEntry } from '../../domain/audit'
import type { Sql } from './tx'

/** Writes one record with `tx`: a transaction's handle (the action's own) or the pool for a record alone. */
export async function writeAudit(tx: Sql, entry: AuditEntry): Promise<void> {
  const detail = entry.detail === null ? null : JSON.stringify(entry.detail)
  await tx`INSERT INTO audit_log (at, actor_id, actor_email, action, target, address, detail)
    VALUES (${entry.at}, ${entry.actorId}, ${entry.actorEmail}, ${entry.action}, ${entry.target}, ${entry.address}, ${detail})`
}
