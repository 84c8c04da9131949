// The one place that turns failures into responses: AppError codes map to statuses here, storage
// failures become 503, and anything unexpected is logged and answered 500 without internals.
import { Elysia } from 'elysia'
import { AppError, type ErrorCode } from '../domain/errors'
import { errorDetail, type Logger } from '../log'
import { json } from './json'

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
}

export function errorResponse(error: AppError): Response {
  const headers = error.retryAfter !== undefined ? { 'retry-after': String(error.retryAfter) } : undefined
  return json({ error: error.message, code: error.code }, STATUS[error.code], headers)
}

/**
 * Whether an error a store threw means "the database cannot take this request now" (disk full, locked,
 * read-only, unreachable) rather than "the request is wrong": each backend says for its own errors
 * (Store.isUnavailable), so that a storage outage is a 503 on every backend, never a 500.
 */
export type UnavailableTest = (error: unknown) => boolean

/** Maps anything thrown while handling a request to an AppError, logging what the client must not see. */
export function toAppError(error: unknown, log: Logger, where: string, isUnavailable: UnavailableTest = () => false): AppError {
  if (error instanceof AppError) return error
  if (isUnavailable(error)) {
    log.error('storage unavailable', { where, code: String((error as { code?: unknown })?.code ?? ''), message: (error as Error)?.message })
    return new AppError('UNAVAILABLE', 'storage is unavailable (disk full, read-only or locked); retry later')
  }
  log.error('unexpected error', { where, error: errorDetail(error) })
  return new AppError('INTERNAL', 'internal server error')
}

/**
 * `missingPage` answers a request for which no route exists, when it wants a page rather than the JSON
 * 404 (the console's HTML 404, src/console/index.tsx); null leaves the JSON 404.
 */
export const errorPlugin = (log: Logger, isUnavailable: UnavailableTest, missingPage: (request: Request) => Response | null = () => null) =>
  new Elysia({ name: 'errors' }).onError({ as: 'global' }, ({ code, error, request }) => {
    // First: Elysia reads `code` off any thrown error, so our own NOT_FOUND would pass for its "no route".
    if (error instanceof AppError) return errorResponse(error)
    if (code === 'NOT_FOUND')
      return missingPage(request) ?? errorResponse(new AppError('NOT_FOUND', `no route for ${request.method} ${new URL(request.url).pathname}`))
    if (code === 'PARSE') return errorResponse(new AppError('BAD_REQUEST', 'request body could not be parsed'))
    if (code === 'VALIDATION') return errorResponse(new AppError('VALIDATION', (error as Error).message))
    return errorResponse(toAppError(error, log, `${request.method} ${new URL(request.url).pathname}`, isUnavailable))
  })
