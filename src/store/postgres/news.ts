// Telling the other nodes what a commit did (docs/streams.md "Several nodes"): every transaction that
// stores events, moves a status or changes a deployment of its owner's list sends NOTIFYs on one channel,
// delivered by PostgreSQL when (and only if) the transaction commits, in commit order. Each node LISTENs
// and reads what it was told about from the database: a notice says where to look (the deployment, the
// arrival numbers stored, whether its status moved or its owner's list changed), never what happened.
import type { NodeNews } from '../types'
import type { Sql } from './tx'

export const NEWS_CHANNEL = 'gc_news'

type Wire = [nodeId: string, userId: string, deploymentId: string, from: number | null, to: number | null, status: 0 | 1, changed: 0 | 1]

/** Inside the transaction: tells the other nodes, at commit, what it did to these deployments. One statement for all. */
export async function notifyNews(tx: Sql, nodeId: string, news: readonly NodeNews[]): Promise<void> {
  if (news.length === 0) return
  const payloads = news.map((n) => JSON.stringify([nodeId, n.userId, n.deploymentId, n.events?.from ?? null, n.events?.to ?? null, n.status ? 1 : 0, n.changed ? 1 : 0] satisfies Wire))
  await tx`SELECT pg_notify(${NEWS_CHANNEL}, payload) FROM unnest(${tx.array(payloads, 'TEXT')}::text[]) AS payload`
}

const isArrival = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0

/** The news in a notice, or null for one of this node's own or one not understood. */
export function parseNotice(payload: string, ownNodeId: string): NodeNews | null {
  try {
    const value = JSON.parse(payload) as unknown
    if (!Array.isArray(value) || value.length !== 7) return null
    const [nodeId, userId, deploymentId, from, to, status, changed] = value as Wire
    if (typeof nodeId !== 'string' || typeof userId !== 'string' || typeof deploymentId !== 'string' || nodeId === ownNodeId) return null
    const events = isArrival(from) && isArrival(to) && from <= to ? { from, to } : null
    return { userId, deploymentId, events, status: status === 1, changed: changed === 1 }
  } catch {
    return null
  }
}
