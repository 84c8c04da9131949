/** @jsxImportSource preact */
// What every console page and form handler works with: the request, the viewer, the API, and the
// small rules they share (docs/console.md).
import type { InputHTMLAttributes } from 'preact'
import type { ApiReply, ConsoleApi } from './api'
import { ErrorNote, htmlPage, Layout, type Section, type Viewer } from './html'

/** A submitted form's fields (urlencoded or multipart). */
export type FormFields = FormData

export type ConsoleContext = {
  request: Request
  url: URL
  params: Record<string, string>
  api: ConsoleApi
  /** Null only on public routes (the login page). */
  viewer: Viewer
  /** Set-Cookie headers to pass on (a renewed session). */
  cookies: string[]
  /** The submitted form, on POST routes. */
  form: FormFields
  /** Wall-clock milliseconds, for relative times. */
  now: number
}

export type ConsoleRoute = {
  method: 'GET' | 'POST'
  /** An Elysia path: `/deployments/:id`. */
  path: string
  /** Served without a session (the login page and form). */
  public?: boolean
  /** The navigation section its pages (and its error pages) belong to; default `deployments`. */
  section?: Section
  handle(ctx: ConsoleContext): Promise<Response>
}

/** An API answer a page cannot go on without: shown as an error page with the API's own words. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** GETs an API path as the viewer; a non-2xx answer becomes a PageError (401 sends them to log in). */
export async function read<T = any>(ctx: ConsoleContext, path: string): Promise<T> {
  const reply = await ctx.api.call<T>(ctx.request, 'GET', path)
  ctx.cookies.push(...reply.setCookies)
  if (!reply.ok) throw new PageError(reply.status, errorText(reply))
  return reply.body
}

/**
 * Sends a change to the API as the viewer; the reply is returned whatever its status, but for a 401 on
 * a signed-in page (the session ended meanwhile), which sends the viewer to log in again.
 */
export async function send<T = any>(ctx: ConsoleContext, method: string, path: string, body?: unknown): Promise<ApiReply<T>> {
  const reply = await ctx.api.call<T>(ctx.request, method, path, body)
  ctx.cookies.push(...reply.setCookies)
  if (reply.status === 401 && ctx.viewer) throw new PageError(401, errorText(reply))
  return reply
}

/** The API's error message (docs/api.md §0: `{error, code}`), or a generic line for a body without one. */
export function errorText(reply: ApiReply): string {
  const message = (reply.body as { error?: unknown } | null)?.error
  return typeof message === 'string' ? message : `the server answered ${reply.status}`
}

/**
 * Which form field an API error names. Validation messages start with the field (`name: must be…`,
 * src/domain/errors.ts); anything else belongs to the form as a whole ('').
 */
export function errorField(reply: ApiReply): string {
  const text = errorText(reply)
  const colon = text.indexOf(':')
  return colon > 0 && /^[a-z_.0-9]+$/.test(text.slice(0, colon)) ? text.slice(0, colon).split('.')[0]! : ''
}

/** Form errors keyed by field, for showing each next to its control. */
export type FieldErrors = Record<string, string>

export function fieldErrors(reply: ApiReply): FieldErrors {
  return { [errorField(reply)]: errorText(reply) }
}

/** A text field of a form ('' when missing or not text). */
export function field(form: FormFields, name: string): string {
  const value = form.get(name)
  return typeof value === 'string' ? value : ''
}

/** A labelled text input with its error right below it, tied by aria-describedby. */
export function TextField(props: {
  name: string
  label: string
  value?: string
  type?: 'text' | 'email' | 'password' | 'number' | 'url' | 'search'
  errors?: FieldErrors
  required?: boolean
  autocomplete?: string
  hint?: string
  min?: string
  max?: string
  step?: string
  autofocus?: boolean
}) {
  const { name, label, errors, hint } = props
  const error = errors?.[name]
  const id = `f-${name}`
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined
  // One object, typed once: Preact's input types split by `type`, which is a variable here.
  const inputAttributes = {
    id,
    name,
    type: props.type ?? 'text',
    value: props.value,
    required: props.required,
    autocomplete: props.autocomplete,
    min: props.min,
    max: props.max,
    step: props.step,
    autofocus: props.autofocus,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': described,
  } as InputHTMLAttributes
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input {...inputAttributes} />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && <ErrorNote id={`${id}-error`} message={error} />}
    </div>
  )
}

/** The page shown when the API refused what a page needed. */
export function errorPage(ctx: ConsoleContext, status: number, message: string, section: Section = 'deployments'): Response {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'
  return htmlPage(
    <Layout title={title} viewer={ctx.viewer as Viewer | null} section={section}>
      <h1>{title}</h1>
      <ErrorNote message={message} />
      <p>
        <a href="/">Back to the deployments</a>
      </p>
    </Layout>,
    { status },
  )
}
