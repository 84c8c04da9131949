// Server-Sent Events for islands: EventSource with the session cookie (same origin), a visible state,
// and EventSource's own reconnection with Last-Event-ID (docs/streams.md).

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped' | 'ended'

const STATE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live: updates as they happen.',
  reconnecting: 'Connection lost: reconnecting…',
  // EventSource gives up on an answer that is not a stream (a 401 after a logout elsewhere).
  stopped: 'Live updates stopped (you may have been logged out): reload the page.',
  ended: 'Finished: no more updates.',
}

export function showLiveState(root: HTMLElement, state: LiveState) {
  const note = root.querySelector<HTMLElement>('[data-live-state]')
  if (note) {
    note.textContent = STATE_TEXT[state]
    note.dataset.state = state
  }
}

/** Reads one island's JSON data block (`<script type="application/json" id=…>`). */
export function islandData<T>(id: string): T | null {
  const element = document.getElementById(id)
  if (!element?.textContent) return null
  return JSON.parse(element.textContent) as T
}
