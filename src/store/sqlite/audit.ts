// The audit trail on SQLite: a record is written by the store method of the action it records, inside that
// method's transaction (docs/api.md §1 "Audit"), through writeAudit.
import type { Db } from './db/open'
import { auditLog } from './db/schema'
import type { Statement } from 'bun:sqlite'
import type { AuditEntry } from '../../domain/audit'
import type { AuditRecord, Store, AuditStore } from '../types'

/** A transaction of drizzle on bun:sqlite, or the database itself (a single statement is its own transaction). */
type Writer = Pick<Db, 'insert'>

/** Writes one record with the writer given: call it inside the action's own transaction. */
export function writeAudit(tx: Writer, entry: AuditEntry) {
  tx.insert(auditLog)
    .values({ ...entry, detail: entry.detail === null ? null : JSON.stringify(entry.detail) })
    .run()
}


const AUDIT_COLUMNS = 'seq, at, actor_id AS actorId, actor_email AS actorEmail, action, target, address, detail'
/** Newest first from just after ($afterAt, $afterSeq): the `<=` term is the one an index on (…, at, seq) ranges over. */
const AUDIT_AFTER = 'at <= $afterAt AND (at < $afterAt OR seq < $afterSeq)'
const AUDIT_ORDER = 'ORDER BY at DESC, seq DESC LIMIT $limit'

/**
 * A page of the audit log, one statement per index (exported for the query-plan test, test/db/query-plans.test.ts):
 * unfiltered along audit_at_idx, by actor along audit_actor_idx (an action filter then tested on that
 * actor's rows), by action along audit_action_idx. Each reads only rows of its own filter, in its order.
 */
export const AUDIT_LIST_SQL = {
  all: `SELECT ${AUDIT_COLUMNS} FROM audit_log INDEXED BY audit_at_idx WHERE ${AUDIT_AFTER} ${AUDIT_ORDER}`,
  actor: `SELECT ${AUDIT_COLUMNS} FROM audit_log INDEXED BY audit_actor_idx
    WHERE actor_id = $actorId AND ($action IS NULL OR action = $action) AND ${AUDIT_AFTER} ${AUDIT_ORDER}`,
  action: `SELECT ${AUDIT_COLUMNS} FROM audit_log INDEXED BY audit_action_idx WHERE action = $action AND ${AUDIT_AFTER} ${AUDIT_ORDER}`,
}

type Row = Omit<AuditRecord, 'detail'> & { detail: string | null }

/** Reading and pruning the trail (GET /api/audit, retention). */
export function createAuditStore(db: Db): AuditStore {
  const sqlite = db.$client
  const list = {
    all: sqlite.prepare(AUDIT_LIST_SQL.all) as Statement<Row>,
    actor: sqlite.prepare(AUDIT_LIST_SQL.actor) as Statement<Row>,
    action: sqlite.prepare(AUDIT_LIST_SQL.action) as Statement<Row>,
  }
  // The oldest first, a batch at a time (the retention sweeper loops), so a large backlog never holds the write lock long.
  const prune = sqlite.prepare(
    'DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log INDEXED BY audit_at_idx WHERE at < ?1 ORDER BY at, seq LIMIT ?2)',
  )
  return {
    async recordAudit(entry) {
      writeAudit(db, entry)
    },
    async listAudit(page) {
      // No position yet: from the newest (the largest safe integers are past every at and seq).
      const after = { afterAt: page.after?.at ?? Number.MAX_SAFE_INTEGER, afterSeq: page.after?.seq ?? Number.MAX_SAFE_INTEGER, limit: page.limit }
      const rows =
        page.actorId !== null
          ? list.actor.all({ ...after, actorId: page.actorId, action: page.action })
          : page.action !== null
            ? list.action.all({ ...after, action: page.action })
            : list.all.all(after)
      return rows.map((row) => ({ ...row, detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditRecord['detail']) }))
    },
    async pruneAudit(cutoff, limit) {
      return prune.run(cutoff, limit).changes
    },
  }
}
