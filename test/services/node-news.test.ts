// The relay of other nodes' news (src/services/node-news.ts): a notice of stored events is read from the
// store once per deployment, however many streams listen, and published as ordinary news in notice order;
// other notices make the listeners read the database themselves; deployments nobody listens to cost nothing.
import { expect, test } from 'bun:test'
import { silentLogger } from '../../src/log'
import { createBus, type DeploymentNews } from '../../src/services/bus'
import { createNodeNews } from '../../src/services/node-news'
import type { Deployment, NodeNews, Store, StoredEvent } from '../../src/store/types'

function fakeStore() {
  let hear: ((news: NodeNews) => void) | null = null
  const reads = { events: 0, deployments: 0 }
  const event = (arrival: number): StoredEvent => ({ seq: arrival, id: `evt-${arrival}`, eventType: 'step.progress', eventTimestamp: 1, jobId: null, stepId: null, payload: '{}', createdAt: 1, arrival })
  const store = {
    async watchOtherNodes(onNews: (news: NodeNews) => void) {
      hear = onNews
      return async () => {}
    },
    async listEventsByArrival(_id: string, after: number, limit: number) {
      reads.events++
      // The second notice's read answers first: the relay must still publish in notice order.
      if (after === 0) await Bun.sleep(30)
      return Array.from({ length: limit }, (_, i) => event(after + 1 + i))
    },
    async getDeployment() {
      reads.deployments++
      return { status: 'running', startedAt: 5, completedAt: null } as Deployment
    },
  } as unknown as Store
  return { store, reads, tell: (news: NodeNews) => hear!(news) }
}

test('one read per notice whatever the listeners, published in notice order, with the status after its events', async () => {
  const { store, reads, tell } = fakeStore()
  const bus = createBus()
  const relay = createNodeNews({ store, bus, log: silentLogger })
  await relay.start()
  const heard: DeploymentNews[][] = Array.from({ length: 50 }, () => [])
  for (const list of heard) bus.subscribeDeployment('dep-1', (news) => list.push(news))
  let listChanges = 0
  bus.subscribeChanges('usr-1', () => listChanges++)
  tell({ userId: 'usr-1', deploymentId: 'dep-1', events: { from: 1, to: 3 }, status: true, changed: true })
  tell({ userId: 'usr-1', deploymentId: 'dep-1', events: { from: 4, to: 5 }, status: false, changed: false })
  // Nobody listens to dep-2: nothing is read for it.
  tell({ userId: 'usr-1', deploymentId: 'dep-2', events: { from: 1, to: 9 }, status: true, changed: false })
  await Bun.sleep(80)
  expect(reads).toEqual({ events: 2, deployments: 1 })
  for (const list of heard) {
    expect(list.map((news) => news.items.map((item) => (item.kind === 'event' ? item.event.arrival : item.kind === 'status' ? `status after ${item.afterArrival}` : item.kind)))).toEqual([
      [1, 2, 3, 'status after 3'],
      [4, 5],
    ])
  }
  // The list stream reads the database itself, once per notice that took a change number.
  expect(listChanges).toBe(1)
  await relay.stop()
})

test('a notice without events (a cancel, a dispatch) makes the listeners read the database themselves', async () => {
  const { store, reads, tell } = fakeStore()
  const bus = createBus()
  const relay = createNodeNews({ store, bus, log: silentLogger })
  await relay.start()
  const got: DeploymentNews[] = []
  bus.subscribeDeployment('dep-1', (news) => got.push(news))
  tell({ userId: 'usr-1', deploymentId: 'dep-1', events: null, status: true, changed: true })
  await Bun.sleep(10)
  expect(reads).toEqual({ events: 0, deployments: 0 })
  expect(got.map((news) => news.items.map((item) => item.kind))).toEqual([['elsewhere']])
  await relay.stop()
})
