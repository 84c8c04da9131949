// Keeps every "5 min ago" on the page current.
import { relative } from '../format'

export function refreshRelativeTimes(root: ParentNode = document) {
  const now = Date.now()
  for (const element of root.querySelectorAll<HTMLElement>('[data-ago]')) element.textContent = relative(element.dataset.ago, now)
}

export function startRelativeTimes() {
  setInterval(() => refreshRelativeTimes(), 30_000)
}
