// GET /api/deployments/{id}/events/export (docs/api.md §3.3, docs/events.md): 5 000 events with hostile text
// exported as CSV and NDJSON and read back field by field against the list; filters; the events stored
// at the start and no later one; a client that goes away stops the reading; formats, tenancy, auth.
import { describe, expect, test } from 'bun:test'
import { EXPORT_PAGE } from '../../src/http/event-export'
import { createTenant, event, harnessPerTest, type Harness, type Tenant } from '../helpers'

let h: Harness
harnessPerTest((harness) => {
  h = harness
})

const T0 = Date.parse('2026-03-07T12:00:00Z')
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString()
const exportOf = (t: Tenant, dep: string, query = '', headers: Record<string, string> = t.asKey) => h.request('GET', `/api/deployments/${dep}/events/export${query}`, { headers })

async function batch(t: Tenant, dep: string, events: unknown[]) {
  for (let i = 0; i < events.length; i += 500) {
    const reply = await h.request('POST', `/api/deployments/${dep}/events/batch`, { body: { events: events.slice(i, i + 500) }, headers: t.asAgent })
    if (reply.status !== 200) throw new Error(`batch failed: ${reply.text}`)
  }
}

type Item = { id: string; event_type: string; step_id: string | null; job_id: string | null; payload: unknown; event_timestamp: string; created_at: string }

/** The whole list, through its cursor, 500 at a time. */
async function everything(t: Tenant, dep: string, query = ''): Promise<Item[]> {
  const items: Item[] = []
  let cursor: string | undefined
  do {
    const reply = await h.request('GET', `/api/deployments/${dep}/events?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`, { headers: t.asKey })
    items.push(...reply.body.events)
    cursor = reply.body.next_cursor
  } while (cursor)
  return items
}

type Field = { text: string; quoted: boolean }
/** RFC 4180, strictly: CRLF between records, a quoted field doubles its quotes, nothing after a closing quote. */
function parseCsv(text: string): Field[][] {
  const records: Field[][] = []
  let record: Field[] = []
  let i = 0
  for (;;) {
    let field: Field
    if (text[i] === '"') {
      let value = ''
      for (i++; ; ) {
        const q = text.indexOf('"', i)
        if (q < 0) throw new Error('unterminated quoted field')
        value += text.slice(i, q)
        if (text[q + 1] === '"') {
          value += '"'
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      field = { text: value, quoted: true }
    } else {
      let end = i
      while (end < text.length && text[end] !== ',' && text[end] !== '\r') {
        if (text[end] === '"' || text[end] === '\n') throw new Error(`bare ${JSON.stringify(text[end])} in an unquoted field at ${end}`)
        end++
      }
      field = { text: text.slice(i, end), quoted: false }
      i = end
    }
    record.push(field)
    if (text[i] === ',') {
      i++
      continue
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`)
    records.push(record)
    record = []
    i += 2
    if (i === text.length) return records
  }
}

/** A CSV optional field: an unquoted empty field is null, `""` the empty string. */
const optional = (f: Field) => (f.text === '' && !f.quoted ? null : f.text)

const HOSTILE = ['plain', 'comma, inside', 'a "quoted" word', 'line\nbreak', 'cr\rlf\r\n', '"', ',', '', 'é ✓ 漢字 🛰️', '\u2028\u2029', ' padded ', '=1+2']

/** 5 000 events: hostile job and step ids and payloads, null and empty ids, many at one instant, unicode everywhere. */
async function seedLarge(t: Tenant, dep: string) {
  const events = Array.from({ length: 5000 }, (_, n) => {
    const text = HOSTILE[n % HOSTILE.length]!
    return event(n % 7 ? 'step.progress' : 'transfer.chunk.sent', at(n % 3 ? Math.floor(n / 50) : 17), {
      job_id: n % 5 === 0 ? null : n % 5 === 1 ? '' : `${text}-${n}`,
      step_id: n % 4 === 0 ? null : n % 4 === 1 ? '' : text,
      payload: { n, text, nested: { list: [text, n, null, true], 'key, "quoted"\n': text }, big: 1772884800123456789 },
    })
  })
  // Exact numbers are kept as sent: a raw body, so 1772884800123456789 is not rounded on the way in.
  for (let i = 0; i < events.length; i += 500) {
    const raw = JSON.stringify({ events: events.slice(i, i + 500) }).replaceAll('1772884800123456800', '1772884800123456789')
    const reply = await h.request('POST', `/api/deployments/${dep}/events/batch`, { raw, headers: t.asAgent })
    if (reply.status !== 200) throw new Error(`batch failed: ${reply.text}`)
  }
}

describe('export of 5 000 events read back against the list', () => {
  test('CSV: a header, then one RFC 4180 record per event, field by field the list item; null and empty kept apart', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await seedLarge(t, dep)
    const reply = await exportOf(t, dep, '?format=csv')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="${dep}-events.csv"`)
    const [header, ...rows] = parseCsv(reply.text)
    expect(header!.map((f) => f.text)).toEqual(['id', 'event_type', 'event_timestamp', 'created_at', 'job_id', 'step_id', 'payload'])
    const items = await everything(t, dep)
    expect(items).toHaveLength(5000)
    expect(rows).toHaveLength(5000)
    rows.forEach((row, i) => {
      const item = items[i]!
      expect(row).toHaveLength(7)
      const [id, type, timestamp, createdAt, jobId, stepId, payload] = row as [Field, Field, Field, Field, Field, Field, Field]
      expect([id.text, type.text, timestamp.text, createdAt.text, optional(jobId), optional(stepId)]).toEqual([item.id, item.event_type, item.event_timestamp, item.created_at, item.job_id, item.step_id])
      expect(JSON.parse(payload.text)).toEqual(item.payload)
    })
    // The payload column is the stored JSON text: exact numbers stay exact.
    expect(rows[0]![6]!.text).toContain('"big":1772884800123456789')
    expect(rows.filter((r) => optional(r[4]!) === null).length).toBe(1000)
    expect(rows.filter((r) => optional(r[4]!) === '').length).toBe(1000)
  })

  test('NDJSON (the default): one list item per line, exactly the list', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await seedLarge(t, dep)
    const reply = await exportOf(t, dep)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('application/x-ndjson')
    expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="${dep}-events.ndjson"`)
    expect(reply.text.endsWith('\n')).toBe(true)
    const lines = reply.text.slice(0, -1).split('\n')
    expect(lines).toHaveLength(5000)
    expect(lines.map((line) => JSON.parse(line))).toEqual(await everything(t, dep))
    expect(lines[0]).toContain('"big":1772884800123456789')
    expect((await exportOf(t, dep, '?format=ndjson')).text).toBe(reply.text)
  })

  test('filters: the export holds exactly the filtered list', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await seedLarge(t, dep)
    const query = `&type=transfer.*&step_id=${encodeURIComponent('a "quoted" word')}&since=${at(10)}&until=${at(90)}`
    const expected = await everything(t, dep, query)
    expect(expected.length).toBeGreaterThan(5)
    const lines = (await exportOf(t, dep, `?format=ndjson${query}`)).text.split('\n').filter(Boolean)
    expect(lines.map((line) => JSON.parse(line))).toEqual(expected)
    const csv = parseCsv((await exportOf(t, dep, `?format=csv${query}`)).text)
    expect(csv.slice(1).map((r) => r[0]!.text)).toEqual(expected.map((e) => e.id))
    expect((await exportOf(t, dep, `?format=csv&since=${at(5)}&until=${at(5)}`)).text).toBe('id,event_type,event_timestamp,created_at,job_id,step_id,payload\r\n')
  })
})

describe('export behaviour', () => {
  test('an empty deployment: CSV is the header alone, NDJSON an empty body', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    expect((await exportOf(t, dep, '?format=csv')).text).toBe('id,event_type,event_timestamp,created_at,job_id,step_id,payload\r\n')
    const ndjson = await exportOf(t, dep)
    expect([ndjson.status, ndjson.text]).toEqual([200, ''])
  })

  test('the events stored when it starts, and none stored while it runs (even ones whose place is still ahead)', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    const count = EXPORT_PAGE * 2 + 10
    await batch(t, dep, Array.from({ length: count }, (_, n) => event('step.progress', at(n), { payload: { n } })))
    const response = await h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/export`, { headers: t.asKey }))
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let text = decoder.decode((await reader.read()).value)
    await batch(t, dep, [event('step.progress', at(-1), { payload: { n: -1 } }), event('step.progress', at(count + 5), { payload: { n: count + 5 } })])
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value)
    const ns = text.split('\n').filter(Boolean).map((line) => JSON.parse(line).payload.n)
    expect(ns).toEqual(Array.from({ length: count }, (_, n) => n))
  })

  test('a client that goes away stops the reading: no page is read after the cancel', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await batch(t, dep, Array.from({ length: EXPORT_PAGE * 5 }, (_, n) => event('step.progress', at(n), { payload: { n } })))
    let pages = 0
    const listEvents = h.store.listEvents.bind(h.store)
    h.store.listEvents = (id, page) => {
      pages++
      return listEvents(id, page)
    }
    const response = await h.app.handle(new Request(`http://localhost/api/deployments/${dep}/events/export?format=csv`, { headers: t.asKey }))
    const reader = response.body!.getReader()
    await reader.read()
    await reader.read()
    await reader.cancel()
    const read = pages
    expect(read).toBeLessThanOrEqual(3)
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(pages).toBe(read)
  })

  test('format must be ndjson or csv; the filters are checked as the list checks them', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    for (const [query, field] of [
      ['?format=json', 'format'],
      ['?format=', 'format'],
      ['?format=CSV', 'format'],
      ['?format=__proto__', 'format'],
      ['?type=Bad', 'type'],
      ['?since=2026-03-07T12:00:00', 'since'],
      ['?until=tomorrow', 'until'],
    ] as const) {
      const reply = await exportOf(t, dep, query)
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: expect.stringMatching(new RegExp(`^${field}: `)), code: 'VALIDATION' })
    }
    // Paging parameters are not the export's: ignored.
    expect((await exportOf(t, dep, '?limit=0&cursor=zzz&offset=x')).status).toBe(200)
  })

  test('tenancy and auth as the list: another user’s or an unknown deployment 404, no credential 401; a session or a read key may export', async () => {
    const t = await createTenant(h)
    const dep = await t.createDeployment('live')
    await batch(t, dep, [event('job.accepted')])
    const other = await createTenant(h)
    expect((await exportOf(other, dep)).status).toBe(404)
    expect((await exportOf(t, 'dep-nope')).status).toBe(404)
    const anonymous = await exportOf(t, dep, '', {})
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHORIZED'])
    expect((await exportOf(t, dep, '', { cookie: t.cookie })).text.split('\n').filter(Boolean)).toHaveLength(1)
    const read = await h.request('POST', '/api/keys', { body: { name: 'reader', scope: 'read' }, headers: { cookie: t.cookie } })
    expect((await exportOf(t, dep, '?format=csv', { 'x-api-key': read.body.key })).status).toBe(200)
  })
})
