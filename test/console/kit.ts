// Console test helpers: form posts as a browser sends them, with the session cookie and form token.
import type { Harness, Reply } from '../helpers'
import { send } from '../helpers'

/** The page's form token (`<input type="hidden" name="csrf" value=…>`). */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('no form token on the page')
  return match[1]!
}

/** What a browser's navigation accepts. */
export const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

/** GETs a console page as a browser holding `cookie` would. */
export function page(h: Harness, path: string, cookie?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return send(h.app, 'GET', path, { headers: { accept: BROWSER_ACCEPT, ...(cookie ? { cookie } : {}), ...headers } })
}

/** POSTs an urlencoded form as a same-origin browser would. */
export async function postForm(h: Harness, path: string, fields: Record<string, string>, cookie?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const body = new URLSearchParams(fields).toString()
  const response = await h.app.handle(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://localhost',
        'sec-fetch-site': 'same-origin',
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
    }),
  )
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: null, text }
}

/** Logs in through the console's own form; returns the session cookie. */
export async function consoleLogin(h: Harness, email: string, password: string): Promise<string> {
  const reply = await postForm(h, '/login', { email, password })
  if (reply.status !== 303) throw new Error(`console login answered ${reply.status}: ${reply.text}`)
  const cookie = reply.headers.getSetCookie().find((c) => c.startsWith('session='))
  if (!cookie) throw new Error('no session cookie')
  return cookie.split(';')[0]!
}
