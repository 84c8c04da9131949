// A worker thread started from plain JavaScript source held in a string: the compiled binary carries it
// without a second entry point (the WAL checkpointer, the backup copy).

/** Starts a worker running `source`. */
export function workerFrom(source: string): Worker {
  return new Worker(URL.createObjectURL(new Blob([source], { type: 'application/javascript' })))
}
