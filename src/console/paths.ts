// Links inside the console. Every dynamic segment is percent-encoded and every link starts with `/`, so
// no stored value can become a URL scheme (`javascript:`) or another host.

/** A path with each dynamic segment percent-encoded: `path('/deployments', id)`. */
export function path(base: string, ...segments: string[]): string {
  return [base, ...segments.map(encodeURIComponent)].join('/')
}

/** A query string from the set values only: `query({status: 'running', cursor: undefined})` → `?status=running`. */
export function query(values: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(name, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** Where to go after logging in: a local path only (`/…`, never `//host` or `/\host`), else `/`. */
export function localPath(next: string | null | undefined): string {
  // Visible ASCII only: browsers drop tabs and newlines, so `/\t/host` would become `//host`.
  if (!next || !/^\/[\x21-\x7e]*$/.test(next) || next.startsWith('//') || next.startsWith('/\\')) return '/'
  return next
}
