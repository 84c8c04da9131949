// Helpers of the fleet pages' tests: a multipart form as a browser sends a file upload, an element's
// text by id, and a table row by its data-id.
import type { Harness, Reply } from '../helpers'

export type Upload = { name: string; type?: string; content: string | Uint8Array<ArrayBuffer> }

/** POSTs a multipart form (fields and files) as a same-origin browser would. */
export async function postMultipart(h: Harness, path: string, fields: Record<string, string>, files: Record<string, Upload>, cookie: string): Promise<Reply> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  for (const [name, file] of Object.entries(files)) form.set(name, new File([file.content], file.name, { type: file.type ?? 'application/json' }))
  const response = await h.app.handle(
    new Request(`http://localhost${path}`, { method: 'POST', body: form, headers: { origin: 'http://localhost', 'sec-fetch-site': 'same-origin', cookie } }),
  )
  return { status: response.status, headers: response.headers, body: null, text: await response.text() }
}

/** The HTML inside the element with this id (up to its first closing tag of the same name). */
export function elementById(html: string, id: string): string | null {
  const open = new RegExp(`<([a-z0-9]+)[^>]*\\sid="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>`).exec(html)
  if (!open) return null
  const end = html.indexOf(`</${open[1]}>`, open.index)
  return html.slice(open.index, end === -1 ? undefined : end)
}

/** The HTML of the table row with this data-id. */
export function rowOf(html: string, id: string): string | null {
  const start = html.indexOf(`<tr data-id="${id}"`)
  if (start === -1) return null
  return html.slice(start, html.indexOf('</tr>', start))
}

/** Text with tags removed and the common entities decoded, for reading words. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
}
