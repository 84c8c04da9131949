// Request-head and query limits as a client meets them on a real socket (docs/http.md): raw requests of
// exact sizes, so that what Bun's parser lets through and what the app answers are both seen. Shared by
// test/server/http-limits.test.ts (source server) and test/smoke/binary.ts (the compiled binary).
import { connect } from 'node:net'

export type RawReply = { status: number | null; contentType: string | null; body: string; closed: 'clean' | 'reset' | 'timeout' }

/** Sends `target` and `headers` as one raw HTTP/1.1 request (Connection: close) and reads the reply to the end. */
export function rawRequest(url: string, target: string, headers: string[] = [], method = 'GET'): Promise<RawReply> {
  const { hostname, port } = new URL(url)
  const head = `${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let closed: RawReply['closed'] = 'clean'
    const socket = connect(Number(port), hostname, () => socket.end(Buffer.from(head, 'latin1')))
    const timer = setTimeout(() => {
      closed = 'timeout'
      socket.destroy()
    }, 10_000)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => (closed = 'reset'))
    socket.on('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]
      resolve({
        status: status ? Number(status) : null,
        contentType: /\r\ncontent-type: ([^\r]*)/i.exec(text.slice(0, split))?.[1] ?? null,
        body: split < 0 ? '' : text.slice(split + 4),
        closed,
      })
    })
  })
}

/** The head bytes of rawRequest(url, target, [`X-Pad: …`]) without the padding, to aim at exact sizes. */
export function headOverhead(url: string, target: string): number {
  return `GET ${target} HTTP/1.1\r\nHost: ${new URL(url).hostname}\r\nConnection: close\r\nX-Pad: \r\n\r\n`.length
}

const padded = (url: string, target: string, total: number) => rawRequest(url, target, [`X-Pad: ${'p'.repeat(total - headOverhead(url, target))}`])
/** `count` headers of `size` bytes each: real requests with large heads are many headers, not one. */
const manyHeaders = (count: number, size: number) => Array.from({ length: count }, (_, i) => `X-Big-${i}: ${'v'.repeat(size)}`)

/** What the server answers to each probe; the tests and the smoke check compare it with the contract. */
export async function probeHeadLimits(url: string) {
  return {
    /** 64 KiB exactly (request line + headers + blank line) is served; one byte more is our JSON 431. */
    atLimit: await padded(url, '/healthz', 64 * 1024),
    overLimit: await padded(url, '/healthz', 64 * 1024 + 1),
    /** A 60 000-character path is under 64 KiB with its headers: routed as usual (no such route). */
    path60k: await rawRequest(url, `/api/${'a'.repeat(60_000)}`),
    path70k: await rawRequest(url, `/${'a'.repeat(70_000)}`),
    headers200k: await rawRequest(url, '/api/deployments', manyHeaders(25, 8 * 1024)),
    /** The contract's floor for our JSON 431 (docs/api.md §0 "up to at least 256 KiB"). */
    head256k: await padded(url, '/healthz', 256 * 1024),
    /** Bun's own limit as npm start and the binary set it (--max-http-header-size=327680): still ours. */
    head320k: await padded(url, '/healthz', 320 * 1024),
    headers1m: await rawRequest(url, '/api/deployments', manyHeaders(128, 8 * 1024)),
    healthAfter: await rawRequest(url, '/healthz'),
  }
}

export const JSON_TYPE = 'application/json; charset=utf-8'
