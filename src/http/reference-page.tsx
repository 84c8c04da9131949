/** @jsxImportSource preact */
// GET /docs: the API reference as one offline HTML page (docs/api.md §0 "Reference"), rendered on the server
// from the same OpenAPI document /openapi.json serves: no script, no CDN, no font; its one stylesheet is
// inline and allowed by its hash alone.
import { createHash } from 'node:crypto'
import { renderToString } from 'preact-render-to-string'
import type { ComponentChildren } from 'preact'

type Schema = { [key: string]: unknown }
type Operation = {
  operationId: string
  summary: string
  description?: string
  tags: string[]
  security: { [scheme: string]: unknown }[]
  'x-compat'?: boolean
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: Schema }[]
  requestBody?: { content: { [type: string]: { schema: Schema } } }
  responses: { [status: string]: { description: string; content?: { [type: string]: { schema: Schema } } } }
}
type Document = {
  info: { title: string; version: string; description: string }
  tags: { name: string; description: string }[]
  paths: { [path: string]: { [method: string]: Operation } }
  components: { schemas: { [name: string]: Schema } }
}

const CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
main{max-width:980px;margin:0 auto;padding:1rem 1.5rem 4rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{margin-top:2.5rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
h3{font-size:1.05rem;margin:1.8rem 0 .3rem}code{font:13px ui-monospace,monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}
.method{display:inline-block;min-width:4.2em;font:600 12px ui-monospace,monospace;padding:.15em .4em;border-radius:3px;color:#fff;background:#57606a;text-align:center}
.get{background:#0969da}.post{background:#1a7f37}.delete{background:#cf222e}
.badge{font-size:12px;border:1px solid #8c959f;border-radius:1em;padding:0 .5em;margin-left:.4em;color:#57606a}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #eaeef2;padding:.25rem .5rem}
th{font-weight:600;font-size:13px;color:#57606a}nav ul{columns:2;padding-left:1.2rem}.muted{color:#57606a}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}code{background:#161b22}th,td{border-color:#30363d}h2{border-color:#30363d}a{color:#58a6ff}.muted,th{color:#8b949e}}
`
const CSS_HASH = createHash('sha256').update(CSS).digest('base64')

export const REFERENCE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${CSS_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const CREDENTIALS: Record<string, string> = {
  apiKey: 'an API key (X-API-Key)',
  bearer: 'an API key (Authorization: Bearer)',
  session: 'a session cookie',
}

/** Backquoted words of a description become code. */
function Prose({ text }: { text: string | undefined }) {
  if (!text) return null
  return <p>{text.split('`').map((part, i) => (i % 2 ? <code>{part}</code> : part))}</p>
}

/** A schema in a few words; a named shape links to its definition. */
function TypeOf({ schema }: { schema: Schema | undefined }): preact.JSX.Element {
  if (!schema || Object.keys(schema).length === 0) return <span>any JSON</span>
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!
    return <a href={`#schema-${name}`}>{name}</a>
  }
  if (Array.isArray(schema.anyOf)) return <>{join((schema.anyOf as Schema[]).map((branch) => <TypeOf schema={branch} />), ' | ')}</>
  if ('const' in schema) return <code>{JSON.stringify(schema.const)}</code>
  if (Array.isArray(schema.enum)) return <>{join(schema.enum.map((value) => <code>{JSON.stringify(value)}</code>), ' | ')}</>
  if (schema.type === 'array') return <>array of <TypeOf schema={schema.items as Schema} /></>
  if (schema.type === 'object' && !schema.properties) return <span>object</span>
  const limits = [schema.minLength !== undefined && `≥ ${schema.minLength} chars`, schema.maxLength !== undefined && `≤ ${schema.maxLength} chars`, schema.minimum !== undefined && `≥ ${schema.minimum}`, schema.maximum !== undefined && `≤ ${schema.maximum}`]
    .filter(Boolean)
    .join(', ')
  return <span>{String(schema.type ?? 'object')}{limits && <span class="muted"> ({limits})</span>}</span>
}

function join(items: preact.JSX.Element[], separator: string): ComponentChildren[] {
  return items.flatMap((item, i) => (i ? [separator, item] : [item]))
}

function Fields({ schema }: { schema: Schema }) {
  const properties = schema.properties as { [name: string]: Schema } | undefined
  if (!properties) return <p>Type: <TypeOf schema={schema} /></p>
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return (
    <table>
      <thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead>
      <tbody>
        {Object.entries(properties).map(([name, field]) => (
          <tr><td><code>{name}</code></td><td><TypeOf schema={field} /></td><td>{required.has(name) ? 'yes' : 'no'}</td><td>{typeof field.description === 'string' ? field.description : ''}</td></tr>
        ))}
      </tbody>
    </table>
  )
}

function Body({ content }: { content: { [type: string]: { schema: Schema } } | undefined }) {
  if (!content) return <span class="muted">no body</span>
  return <>{join(Object.entries(content).map(([type, { schema }]) => <span><code>{type}</code> <TypeOf schema={schema} /></span>), ' or ')}</>
}

type Resolve = (schema: Schema) => Schema

/** A status's meaning up to its first colon, lower-cased: "Body too large", "rate limited". */
const shortly = (description: string) => {
  const head = description.split(':')[0]!
  return head.charAt(0).toLowerCase() + head.slice(1)
}

function OperationView({ method, path, op, resolve }: { method: string; path: string; op: Operation; resolve: Resolve }) {
  const credentials = op.security.length ? op.security.map((s) => CREDENTIALS[Object.keys(s)[0]!] ?? Object.keys(s)[0]).join(', or ') : 'none'
  const body = op.requestBody?.content['application/json']?.schema
  const answers = Object.entries(op.responses)
  const successes = answers.filter(([status]) => Number(status) < 400)
  const errors = answers.filter(([status]) => Number(status) >= 400)
  return (
    <section id={op.operationId}>
      <h3><span class={`method ${method}`}>{method.toUpperCase()}</span> <code>{path}</code>{op['x-compat'] && <span class="badge">compat</span>}</h3>
      <p><strong>{op.summary}</strong>. <span class="muted">Credential: {credentials}.</span></p>
      <Prose text={op.description} />
      {op.parameters && (
        <table>
          <thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead>
          <tbody>
            {op.parameters.map((p) => (
              <tr><td><code>{p.name}</code></td><td>{p.in}</td><td><TypeOf schema={p.schema} /></td><td>{p.required ? 'yes' : 'no'}</td><td>{p.description ?? ''}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {body && (<><p>Body (<code>application/json</code>):</p><Fields schema={resolve(body)} /></>)}
      <table>
        <thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead>
        <tbody>
          {successes.map(([status, response]) => (
            <tr><td>{status}</td><td>{response.description}</td><td><Body content={response.content} /></td></tr>
          ))}
        </tbody>
      </table>
      {errors.length > 0 && (
        <p class="muted">
          Errors, each <a href="#schema-ErrorBody">ErrorBody</a>: {join(errors.map(([status, response]) => <span title={response.description}>{status} {shortly(response.description)}</span>), ' · ')}
        </p>
      )}
    </section>
  )
}

function Reference({ doc }: { doc: Document }) {
  // A request body is shown field by field even when it is a named shape.
  const resolve: Resolve = (schema) => (typeof schema.$ref === 'string' ? (doc.components.schemas[schema.$ref.split('/').pop()!] ?? schema) : schema)
  const byTag = new Map(doc.tags.map((tag) => [tag.name, [] as { method: string; path: string; op: Operation }[]]))
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) byTag.get(op.tags[0]!)?.push({ method, path, op })
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${doc.info.title} ${doc.info.version}`}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <h1>{doc.info.title} <span class="muted">{doc.info.version}</span></h1>
          <Prose text={doc.info.description} />
          <p>The machine-readable document: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1).</p>
          <nav aria-label="Contents">
            <ul>
              {doc.tags.map((tag) => (<li><a href={`#tag-${tag.name}`}>{tag.description}</a></li>))}
              <li><a href="#schemas">Shapes</a></li>
            </ul>
          </nav>
          {doc.tags.map((tag) => (
            <>
              <h2 id={`tag-${tag.name}`}>{tag.description}</h2>
              {byTag.get(tag.name)!.map((entry) => <OperationView {...entry} resolve={resolve} />)}
            </>
          ))}
          <h2 id="schemas">Shapes</h2>
          {Object.entries(doc.components.schemas).map(([name, schema]) => (
            <section id={`schema-${name}`}>
              <h3><code>{name}</code></h3>
              <Prose text={typeof schema.description === 'string' ? schema.description : undefined} />
              <Fields schema={schema} />
            </section>
          ))}
        </main>
      </body>
    </html>
  )
}

/** The page for an OpenAPI document as src/http/openapi.ts writes it. */
export function referencePage(doc: object): string {
  return `<!doctype html>${renderToString(<Reference doc={doc as Document} />)}`
}
