/** @jsxImportSource preact */
// Pages as responses: the layout every page shares, rendered on the server with Preact, which escapes
// every text and attribute value it is given (docs/console.md "Security"). The one raw write is an island's
// JSON data block, with `<`, `>` and `&` escaped (islandData); no value from the database ever becomes a
// URL's scheme: links are built by `path()`.
import type { ComponentChildren, VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { assetPath } from './assets'
export { path, query } from './paths'

/** Who is looking, for the layout: null on the login page. */
export type Viewer = { id: string; email: string; name: string | null; role: 'admin' | 'operator'; csrf: string }

export type Section = 'deployments' | 'agents' | 'missions' | 'keys' | 'webhooks' | 'users' | 'account' | 'login' | 'audit'

/**
 * The console's Content-Security-Policy: its own origin only, no inline script or style, no frames. Data
 * for islands travels in `<script type="application/json">` blocks, which are never executed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const

const NAV: { section: Section; href: string; label: string; admin?: boolean }[] = [
  { section: 'deployments', href: '/', label: 'Deployments' },
  { section: 'agents', href: '/agents', label: 'Agents' },
  { section: 'missions', href: '/missions', label: 'Missions & plans' },
  { section: 'keys', href: '/keys', label: 'API keys' },
  { section: 'webhooks', href: '/webhooks', label: 'Webhooks' },
  { section: 'users', href: '/users', label: 'Users', admin: true },
  { section: 'audit', href: '/audit', label: 'Audit log', admin: true },
]

type LayoutProps = { title: string; viewer: Viewer | null; section: Section; children: ComponentChildren }

export function Layout({ title, viewer, section, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · Ground Console`}</title>
        <link rel="icon" type="image/svg+xml" href={assetPath('icon.svg')} />
        <link rel="stylesheet" href={assetPath('console.css')} />
        <script type="module" src={assetPath('console.js')} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Ground Console
          </a>
          {viewer && (
            <nav aria-label="Main">
              <ul>
                {NAV.filter((item) => !item.admin || viewer.role === 'admin').map((item) => (
                  <li>
                    <a href={item.href} aria-current={item.section === section ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {viewer && (
            <div class="who">
              <a href="/account" aria-current={section === 'account' ? 'page' : undefined}>
                {viewer.name || viewer.email}
              </a>
              <form method="post" action="/logout">
                <CsrfField viewer={viewer} />
                <button type="submit" class="link">
                  Log out
                </button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </body>
    </html>
  )
}

/** The hidden per-session token every console form carries. */
export function CsrfField({ viewer }: { viewer: Viewer }) {
  return <input type="hidden" name="csrf" value={viewer.csrf} />
}

/** An error from the API, in words, where the user will look for it. */
export function ErrorNote({ message, id }: { message: string | null | undefined; id?: string }) {
  if (!message) return null
  return (
    <p class="error" role="alert" id={id}>
      {message}
    </p>
  )
}

/** A notice after an action (created, revoked…). */
export function Notice({ message }: { message: string | null | undefined }) {
  if (!message) return null
  return (
    <p class="notice" role="status">
      {message}
    </p>
  )
}

/** Renders a page to a full HTML response with the console's security headers. */
export function htmlPage(node: VNode, init: { status?: number; headers?: Record<string, string>; setCookies?: string[] } = {}): Response {
  const headers = new Headers(PAGE_HEADERS)
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value)
  for (const cookie of init.setCookies ?? []) headers.append('set-cookie', cookie)
  return new Response(`<!doctype html>${renderToString(node)}`, { status: init.status ?? 200, headers })
}

/** JSON for an island, safe inside `<script type="application/json">`: `<`, `>`, `&` and U+2028/9 escaped. */
export function islandData(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A data block for an island: `<script type="application/json" id=…>`, never executed. */
export function IslandData({ id, value }: { id: string; value: unknown }) {
  return <script type="application/json" id={id} dangerouslySetInnerHTML={{ __html: islandData(value) }} />
}

/** A redirect after a form (303: the browser follows with GET). */
export function seeOther(location: string, setCookies: string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' })
  for (const cookie of setCookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 303, headers })
}
