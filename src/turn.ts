// A turn of the event loop: long work awaits one between its steps, so that other requests go in between
// (docs/limits.md). setImmediate, not a timer: it lets pending I/O run without adding a millisecond.
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
