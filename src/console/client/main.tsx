/** @jsxImportSource preact */
// The browser's part of the console: small islands that enhance server-rendered pages. Each element with
// `data-island="<name>"` is handed to that island; without JavaScript the pages work as they are.
import { startRelativeTimes } from './relative-times'
import { deploymentIsland } from './deployment'
import { deploymentsIsland } from './deployments'
import { copyIsland } from './copy'

const ISLANDS: Record<string, (root: HTMLElement) => void> = {
  deployments: deploymentsIsland,
  copy: copyIsland,
  deployment: deploymentIsland,
}

function start() {
  for (const root of document.querySelectorAll<HTMLElement>('[data-island]')) {
    const island = ISLANDS[root.dataset.island ?? '']
    if (!island) continue
    try {
      island(root)
    } catch (error) {
      console.error(`island ${root.dataset.island} failed`, error)
    }
  }
  startRelativeTimes()
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
else start()
