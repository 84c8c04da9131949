/** @jsxImportSource preact */
// The deployments island: applies the deployments stream (GET /api/deployments/stream) over the list
// the server rendered. Each message is a whole, latest deployment, so applying one twice is harmless.
import { render } from 'preact'
import { DeploymentTable, type DeploymentItem } from '../components/deployment-table'
import { islandData, showLiveState } from './live'

type Filters = { status: string; mission_id: string; mode: string }

export function matches(item: DeploymentItem, filters: Filters): boolean {
  if (filters.status && !filters.status.split(',').includes(item.status)) return false
  if (filters.mode && item.mode !== filters.mode) return false
  if (filters.mission_id && item.mission_id !== filters.mission_id) return false
  return true
}

export function deploymentsIsland(root: HTMLElement) {
  if (root.dataset.live !== 'on') return
  const data = islandData<{ items: DeploymentItem[]; filters: Filters }>('deployments-data')
  const table = root.querySelector<HTMLElement>('[data-table]')
  if (!data || !table) return
  let items = data.items
  const pageSize = Math.max(items.length, 50)
  const draw = () => render(<DeploymentTable items={items} now={Date.now()} />, table)
  table.textContent = ''
  draw()
  showLiveState(root, 'connecting')
  const source = new EventSource('/api/deployments/stream')
  source.onopen = () => showLiveState(root, 'live')
  source.onerror = () => showLiveState(root, 'reconnecting')
  source.onmessage = (message) => {
    const item = JSON.parse(message.data) as DeploymentItem
    const at = items.findIndex((d) => d.id === item.id)
    const keep = matches(item, data.filters)
    if (at >= 0) items = keep ? items.map((d) => (d.id === item.id ? item : d)) : items.filter((d) => d.id !== item.id)
    else if (keep) items = [item, ...items].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1)).slice(0, pageSize)
    draw()
  }
}
