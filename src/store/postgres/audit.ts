// Reading and pruning the audit trail on PostgreSQL (GET /api/audit, retention): the port of
// src/store/sqlite/audit.ts. Records are written by the action's own transaction through writeAudit
// (audit-write.ts; docs/api.md §1 "Audit"); recordAudit writes one alone.
import type { AuditRecord, Store, AuditStore } from '../types'
import { writeAudit } from './audit-write'
import type { PgDb } from './db/open'
import { int } from './tx'


type Row = Record<string, unknown>

const toRecord = (row: Row): AuditRecord => ({
  seq: int(row.seq),
  at: int(row.at),
  actorId: (row.actor_id as string | null) ?? null,
  actorEmail: (row.actor_email as string | null) ?? null,
  action: row.action as AuditRecord['action'],
  target: (row.target as string | null) ?? null,
  address: (row.address as string | null) ?? null,
  detail: row.detail === null ? null : (JSON.parse(row.detail as string) as AuditRecord['detail']),
})

export function createAuditStore(db: PgDb): AuditStore {
  const sql = db.$client
  return {
    async recordAudit(entry) {
      await writeAudit(sql, entry)
    },
    async listAudit(page) {
      // No position yet: from the newest (the largest safe integers are past every at and seq). The
      // filters are equalities ahead of (at, seq), so audit_actor_idx or audit_action_idx serves each page
      // as one range read, and audit_at_idx the unfiltered one.
      const afterAt = page.after?.at ?? Number.MAX_SAFE_INTEGER
      const afterSeq = page.after?.seq ?? Number.MAX_SAFE_INTEGER
      const byActor = page.actorId === null ? sql`` : sql`AND actor_id = ${page.actorId}`
      const byAction = page.action === null ? sql`` : sql`AND action = ${page.action}`
      const rows = await sql`SELECT seq, at, actor_id, actor_email, action, target, address, detail FROM audit_log
        WHERE at <= ${afterAt} AND (at < ${afterAt} OR seq < ${afterSeq}) ${byActor} ${byAction}
        ORDER BY at DESC, seq DESC LIMIT ${page.limit}`
      return rows.map(toRecord)
    },
    async pruneAudit(cutoff, limit) {
      // The oldest first, a batch at a time (the retention sweeper loops), so a large backlog never holds
      // locks long; rows another node's sweep holds are left to it.
      const result = await sql`DELETE FROM audit_log WHERE seq IN (
        SELECT seq FROM audit_log WHERE at < ${cutoff} ORDER BY at, seq LIMIT ${limit} FOR UPDATE SKIP LOCKED)`
      return result.count
    },
  }
}
