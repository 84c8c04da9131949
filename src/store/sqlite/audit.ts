// The audit trail on SQLite: a record is written by the store method of the action it records, inside that
// method's transaction (docs/api.md §1 "Audit"), through writeAudit.
import type { Db } from '../../db/open'
import { auditLog } from '../../db/schema'
import type { Statement } from 'bun:sqlite'
import type { AuditEntry } from '../../domain/audit'
import type { AuditRecord, Store } from '../types'

/** A transaction of drizzle on bun:sqlite, or the database itself (a single statement is its own transaction). */
type Writer = Pick<Db, 'insert'>

/** Writes one record with the writer given: call it inside the action's own transaction. */
export function writeAudit(tx: Writer, entry: AuditEntry) {
  tx.insert(auditLog)
    .values({ ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) })
    .run()
}

type AuditStore = Pick<Store, 'recordAudit' | 'listAudit' | 'pruneAudit'>

/**
 * Reading and pruning the trail. Pages run newest first along (at, seq) — audit_actor_idx or
 * audit_action_idx when filtered, audit_at_idx otherwise — starting just after the last record served.
 */
export function createAuditStore(db: Db): AuditStore {
  const sqlite = db.$client
  const list = sqlite.prepare(`SELECT seq, at, actor_id AS actorId, actor_email AS actorEmail, action, target, address, detail
    FROM audit_log
    WHERE ($actorId IS NULL OR actor_id = $actorId) AND ($action IS NULL OR action = $action)
      AND ($afterAt IS NULL OR at < $afterAt OR (at = $afterAt AND seq < $afterSeq))
    ORDER BY at DESC, seq DESC LIMIT $limit`) as Statement<Omit<AuditRecord, 'detail'> & { detail: string | null }>
  // The oldest first, a batch at a time (the retention sweeper loops), so a large backlog never holds the write lock long.
  const prune = sqlite.prepare('DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at < ?1 ORDER BY at, seq LIMIT ?2)')
  return {
    async recordAudit(entry) {
      writeAudit(db, entry)
    },
    async listAudit(page) {
      return list
        .all({ actorId: page.actorId, action: page.action, afterAt: page.after?.at ?? null, afterSeq: page.after?.seq ?? null, limit: page.limit })
        .map((row) => ({ ...row, detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditRecord['detail']) }))
    },
    async pruneAudit(cutoff, limit) {
      return prune.run(cutoff, limit).changes
    },
  }
}
