// JSON in and out: responses with the contract's content type, and request bodies read within a size
// limit after the content type is checked (docs/api.md §0: 413 before 415, both before the body is parsed).
import { AppError, invalid } from '../domain/errors'
import { JsonLimitError, parseJsonBounded, parseJsonExact } from '../domain/json'

export const MiB = 1024 * 1024
export const DEFAULT_BODY_LIMIT = MiB

const JSON_TYPE = 'application/json; charset=utf-8'

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: headers ? { 'content-type': JSON_TYPE, ...headers } : { 'content-type': JSON_TYPE },
  })
}

/** Preserialised JSON text, for bodies assembled from stored JSON without parsing it again. */
export function rawJson(text: string, status = 200): Response {
  return new Response(text, { status, headers: { 'content-type': JSON_TYPE } })
}

export const noContent = (headers?: Record<string, string>) => new Response(null, { status: 204, headers })

const tooLarge = (limit: number) => new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit / MiB} MiB`)

// fatal: bytes that are not UTF-8 are refused, never replaced by U+FFFD (two different payloads would
// then be stored as one, and the server would store what it was not sent).
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The bytes as text, or null when they are not UTF-8 (also the console's form reader). */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  const text = utf8Text(bytes)
  if (text === null) throw new AppError('BAD_REQUEST', 'request body is not valid UTF-8')
  return text
}

/** Reads the body as text: 413 past `limit` bytes (announced or streamed), 415 unless it is JSON, 400 unless UTF-8. */
export async function readBody(request: Request, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  checkBodyHeaders(request, limit, { bodyRequired: true })
  if (request.headers.has('content-length') || !request.body) return decodeUtf8(new Uint8Array(await request.arrayBuffer()))
  // No Content-Length (chunked): count bytes as they arrive and stop reading at the limit.
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  return decodeUtf8(Buffer.concat(chunks))
}

/**
 * Parses a JSON body within the input limits (docs/limits.md): nesting past 64 levels is 400 VALIDATION
 * naming the top-level field, before any recursive code sees the value. `exact` keeps numbers a double
 * cannot hold digit for digit (src/domain/json.ts): for bodies whose values are stored as sent (event
 * payloads, plan data), never for fields checked as numbers.
 */
export function parseJson(text: string, { exact = false } = {}): unknown {
  try {
    return exact ? parseJsonExact(text) : parseJsonBounded(text)
  } catch (error) {
    if (error instanceof JsonLimitError) throw invalid(error.field, error.rule)
    throw new AppError('BAD_REQUEST', 'request body is not valid JSON')
  }
}

/**
 * The header-only body checks (413 by Content-Length, 415), done first by readBody, and alone by routes
 * that must refuse before reading the body but may only say so after these (docs/api.md §0 order).
 */
export function checkBodyHeaders(request: Request, limit = DEFAULT_BODY_LIMIT, { bodyRequired = false } = {}) {
  const length = request.headers.get('content-length')
  if (length !== null && Number(length) > limit) throw tooLarge(limit)
  const hasBody = bodyRequired || (length !== null && length !== '0') || request.headers.has('transfer-encoding')
  const type = request.headers.get('content-type')
  if (hasBody && (!type || !/^application\/json\s*(;|$)/i.test(type)))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be JSON (Content-Type: application/json)')
}
