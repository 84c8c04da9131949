// A Server-Sent Events reader for tests: parses the frames of a streamed response as a client would
// (WHATWG "Server-sent events", the event stream format), with a timeout on every wait.
export type SseMessage = { id?: string; event?: string; data?: string; comment?: string }

export class SseReader {
  private buffer = ''
  private decoder = new TextDecoder()
  private reader: { read(): Promise<{ done: boolean; value?: Uint8Array | string }>; cancel(): Promise<void> }
  private pending: SseMessage[] = []
  /** A read that outlived a timeout: the next wait takes it up, so that no chunk is ever dropped. */
  private reading: Promise<{ done: boolean; value?: Uint8Array | string }> | null = null
  ended = false

  constructor(readonly response: Response) {
    this.reader = response.body!.getReader() as unknown as SseReader['reader']
  }

  /** The next message or comment; null when the stream ended. Throws after `ms` without one. */
  async next(ms = 5000): Promise<SseMessage | null> {
    const deadline = Date.now() + ms
    for (;;) {
      if (this.pending.length) return this.pending.shift()!
      if (this.ended) return null
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no SSE message within ${ms} ms`)
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)))
      this.reading ??= this.reader.read()
      const read = await Promise.race([this.reading, timeout])
      clearTimeout(timer)
      if (read === 'timeout') throw new Error(`no SSE message within ${ms} ms`)
      this.reading = null
      if (read.done || read.value === undefined) this.ended = true
      // In process, Elysia's stream hands over the strings it was given; over a socket they are bytes.
      else this.buffer += typeof read.value === 'string' ? read.value : this.decoder.decode(read.value, { stream: true })
      this.parse()
    }
  }

  /** The next message (not a comment) within `ms`, null when the stream ended, or 'quiet' when none came. */
  async within(ms: number): Promise<SseMessage | null | 'quiet'> {
    const deadline = Date.now() + ms
    for (;;) {
      let m: SseMessage | null
      try {
        m = await this.next(Math.max(1, deadline - Date.now()))
      } catch {
        return 'quiet'
      }
      if (m === null || m.comment === undefined) return m
    }
  }

  /** Messages (not comments) until `count` have come, or the stream ended. */
  async messages(count: number, ms = 5000): Promise<SseMessage[]> {
    const out: SseMessage[] = []
    while (out.length < count) {
      const m = await this.next(ms)
      if (m === null) break
      if (m.comment === undefined) out.push(m)
    }
    return out
  }

  /** Every message until the stream ends. */
  async rest(ms = 5000): Promise<SseMessage[]> {
    const out: SseMessage[] = []
    for (let m = await this.next(ms); m !== null; m = await this.next(ms)) if (m.comment === undefined) out.push(m)
    return out
  }

  private parse() {
    for (;;) {
      const end = this.buffer.indexOf('\n\n')
      if (end < 0) return
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      const message: SseMessage = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim()
        else {
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'data') message.data = message.data === undefined ? value : `${message.data}\n${value}`
          else if (field === 'id' || field === 'event') message[field] = value
        }
      }
      this.pending.push(message)
    }
  }

  cancel() {
    void this.reader.cancel().catch(() => {})
  }
}

/** Opens a stream through app.handle; `close()` is the client going away (its request's signal aborts). */
export async function openStream(app: { handle(request: Request): Promise<Response> | Response }, path: string, headers: Record<string, string>) {
  const controller = new AbortController()
  const response = await app.handle(new Request(`http://localhost${path}`, { headers, signal: controller.signal }))
  const reader = new SseReader(response)
  return Object.assign(reader, {
    close() {
      controller.abort()
      reader.cancel()
    },
  })
}
