/** @jsxImportSource preact */
// The deployments island: applies the deployments stream (GET /api/deployments/stream) over the list
// the server rendered. Each message is a whole, latest deployment, so applying one twice is harmless.
import { render } from 'preact'
import { DeploymentTable, type DeploymentItem } from '../components/deployment-table'
import { islandData, showLiveState } from './live'

type Filters = { status: string; mission_id: string; mode: string; archived: string }

export function matches(item: DeploymentItem, filters: Filters): boolean {
  // The API's archive filter (docs/lists.md "Archived"): hidden unless asked for; an archive or a restore
  // comes down the stream like any change, so the row leaves or joins the list at once.
  if (filters.archived === 'only' ? item.archived_at === null : filters.archived !== 'include' && item.archived_at !== null) return false
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
  const apply = (item: DeploymentItem) => {
    const at = items.findIndex((d) => d.id === item.id)
    const keep = matches(item, data.filters)
    if (at >= 0) items = keep ? items.map((d) => (d.id === item.id ? item : d)) : items.filter((d) => d.id !== item.id)
    else if (keep) items = [item, ...items].sort(newestFirst).slice(0, pageSize)
  }
  // Messages heard while the list is being read again wait, then apply over it, in order.
  let held: DeploymentItem[] | null = null
  const list = `/api/deployments${listQuery(data.filters)}`
  /**
   * The stream is opened after the page was read, and it reconnects without a resume point until its first
   * message: each time it (re)opens, the list is read again and the messages go over it (docs/streams.md:
   * open the stream first, then load the list), so no change made in between is missed.
   */
  const reload = async () => {
    held = []
    try {
      const reply = await fetch(list, { headers: { accept: 'application/json' } })
      if (reply.ok) items = ((await reply.json()) as { deployments: DeploymentItem[] }).deployments
    } catch {
      // The stream's own reconnection will try again.
    }
    const waiting = held
    held = null
    for (const item of waiting) apply(item)
    draw()
  }
  showLiveState(root, 'connecting')
  const source = new EventSource('/api/deployments/stream')
  source.onopen = () => {
    showLiveState(root, 'live')
    void reload()
  }
  source.onerror = () => showLiveState(root, source.readyState === EventSource.CLOSED ? 'stopped' : 'reconnecting')
  source.onmessage = (message) => {
    const item = JSON.parse(message.data) as DeploymentItem
    if (held) return void held.push(item)
    apply(item)
    draw()
  }
}

const newestFirst = (a: DeploymentItem, b: DeploymentItem) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1)

/** The list's query for the page's filters (the first page: live only there). */
function listQuery(filters: Filters): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value)
  const text = params.toString()
  return text ? `?${text}` : ''
}
