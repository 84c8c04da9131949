// The in-process news bus (docs/streams.md): what has just become durable, told to whoever listens. The
// reports service publishes each group's stored events and status changes once their commit is on disk
// (never before), cancel and dispatch publish their status changes, and every deployment change goes to
// its owner's list. One publish reaches every listener of a deployment: 500 streams of one deployment cost
// one call each, not 500 database reads. Listeners must be quick and must not throw: a stream only queues
// what it is told (src/http/streams.ts).
import type { DeploymentStatus } from '../domain/deployment'
import type { DeploymentChange, StoredEvent } from '../store/types'

/** A stored event, with its position in its deployment's arrival order (docs/api.md §3.3). */
export type PublishedEvent = Omit<StoredEvent, 'seq' | 'arrival'> & { arrival: number }

/** A deployment's status as its stream shows it (`event: status`). */
export type StatusView = { status: DeploymentStatus; startedAt: number | null; completedAt: number | null }

/**
 * One thing that happened to a deployment: an event stored, or its status moved, after the event with
 * arrival number `afterArrival` (0: after none of this group's events).
 */
export type NewsItem = { kind: 'event'; event: PublishedEvent } | ({ kind: 'status'; afterArrival: number } & StatusView) | typeof ELSEWHERE

/**
 * News committed by another node (docs/streams.md "Several nodes"): the listener reads what it missed
 * from the database. For a deployment's listeners, a news item; for an owner's, in place of a change.
 */
export const ELSEWHERE = Object.freeze({ kind: 'elsewhere' as const })

/** What one commit did to one deployment, in the order it happened. */
export type DeploymentNews = { userId: string; deploymentId: string; items: NewsItem[] }

type Listener<T> = (news: T) => void

export type Bus = ReturnType<typeof createBus>

export function createBus({ onListenerError }: { onListenerError?: (error: unknown) => void } = {}) {
  const byDeployment = new Map<string, Set<Listener<DeploymentNews>>>()
  const byUser = new Map<string, Set<Listener<DeploymentChange | typeof ELSEWHERE>>>()

  function subscribe<T>(map: Map<string, Set<Listener<T>>>, key: string, listener: Listener<T>): () => void {
    let set = map.get(key)
    if (!set) map.set(key, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && map.get(key) === set) map.delete(key)
    }
  }

  function publish<T>(map: Map<string, Set<Listener<T>>>, key: string, news: T) {
    const listeners = map.get(key)
    if (!listeners) return
    for (const listener of listeners)
      try {
        listener(news)
      } catch (error) {
        // One broken listener must not keep the news from the others, nor fail the publisher.
        onListenerError?.(error)
      }
  }

  return {
    /** Tells the deployment's listeners what a durable commit did to it. */
    publishDeployment(news: DeploymentNews) {
      if (news.items.length) publish(byDeployment, news.deploymentId, news)
    },
    /** Tells the owner's listeners that a deployment changed (creation, status, event count). */
    publishChange(userId: string, change: DeploymentChange) {
      publish(byUser, userId, change)
    },
    subscribeDeployment(deploymentId: string, listener: Listener<DeploymentNews>) {
      return subscribe(byDeployment, deploymentId, listener)
    },
    subscribeChanges(userId: string, listener: Listener<DeploymentChange | typeof ELSEWHERE>) {
      return subscribe(byUser, userId, listener)
    },
    /** Whether anyone listens to the deployment's news (src/services/node-news.ts reads only for those). */
    hasDeploymentListeners(deploymentId: string) {
      return byDeployment.has(deploymentId)
    },
    /** Tells the deployment's listeners that another node committed news for it: they read the database. */
    publishDeploymentElsewhere(userId: string, deploymentId: string) {
      publish(byDeployment, deploymentId, { userId, deploymentId, items: [ELSEWHERE] })
    },
    /** Tells the owner's listeners that another node changed one of their deployments: they read the database. */
    publishChangesElsewhere(userId: string) {
      publish(byUser, userId, ELSEWHERE)
    },
    /** Tells every listener to read the database again: news from other nodes may have been missed. */
    publishElsewhereToAll() {
      for (const deploymentId of [...byDeployment.keys()]) publish(byDeployment, deploymentId, { userId: '', deploymentId, items: [ELSEWHERE] })
      for (const userId of [...byUser.keys()]) publish(byUser, userId, ELSEWHERE)
    },
    /** Listeners now, for tests and figures. */
    get listenerCount() {
      let n = 0
      for (const set of byDeployment.values()) n += set.size
      for (const set of byUser.values()) n += set.size
      return n
    },
  }
}
