// Telling the other nodes what a commit did (docs/streams.md "Several nodes"): every transaction that
// stores events, moves a status or changes a deployment of its owner's list sends a NOTIFY on one channel,
// delivered by PostgreSQL when (and only if) the transaction commits. Each node LISTENs and reads what it
// was told about from the database: the notice says where to look, never what happened.
import type { NodeNews } from '../types'
import type { Sql } from './tx'

export const NEWS_CHANNEL = 'gc_news'

/** Inside the transaction: tells the other nodes, at commit, that the deployment has news. */
export async function notifyNews(tx: Sql, nodeId: string, news: NodeNews): Promise<void> {
  await tx`SELECT pg_notify(${NEWS_CHANNEL}, ${JSON.stringify([nodeId, news.userId, news.deploymentId])})`
}

/** The news in a notice, or null for one of this node's own or one not understood. */
export function parseNotice(payload: string, ownNodeId: string): NodeNews | null {
  try {
    const value = JSON.parse(payload) as unknown
    if (!Array.isArray(value) || value.length !== 3 || !value.every((part) => typeof part === 'string')) return null
    const [nodeId, userId, deploymentId] = value as [string, string, string]
    return nodeId === ownNodeId ? null : { userId, deploymentId }
  } catch {
    return null
  }
}
