// Requests as bytes, the checks every reply must pass whatever was sent, and a snapshot of what the store
// holds, to show that a refused request stored nothing.
import { expect } from 'bun:test'
import type { App } from '../../src/app'
import { ERROR_CODES } from '../../src/domain/errors'
import { NO_DEPLOYMENT_FILTER } from '../../src/store/types'
import { onPostgres, type Harness, type Reply } from '../helpers'
import { healthOf } from '../../src/routes/health'
import { SCHEMA_VERSION } from '../../src/store/sqlite/db/migrations'
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/db/migrations'

/** What the server answers at GET /healthz on the backend the tests run on. */
const HEALTH = healthOf(onPostgres ? PG_SCHEMA_VERSION : SCHEMA_VERSION)

const encoder = new TextEncoder()

/** UTF-8 of a JS string; a lone surrogate becomes U+FFFD, as any client's encoder does. */
export const utf8 = (text: string) => encoder.encode(text)

/** What the server can read from these bytes: the text, or null when they are not valid UTF-8. */
export function decodeStrict(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
}

export type BytesRequest = { bytes?: Uint8Array; headers?: Record<string, string> }

/**
 * Like helpers' send, for raw bytes and exact headers: the body goes as a Uint8Array with its
 * Content-Length, and no Content-Type is added (the fuzz chooses it).
 */
export async function sendBytes(app: App, method: string, path: string, { bytes, headers = {} }: BytesRequest = {}): Promise<Reply> {
  const all = bytes ? { 'content-length': String(bytes.byteLength), ...headers } : headers
  const response = await app.handle(new Request(`http://localhost${path}`, { method, body: bytes as BodyInit | undefined, headers: all }))
  const text = await response.text()
  let body: unknown = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, body, text }
}

/** Whatever was sent: never a 5xx; every non-2xx is the JSON error body with a documented code. */
export function expectWellFormed(reply: Reply, what = '') {
  const where = `${what} → ${reply.status} ${reply.text.slice(0, 300)}`
  expect(reply.status, where).toBeLessThan(500)
  if (reply.status >= 200 && reply.status < 300) return
  // docs/api.md §0: 429 comes with Retry-After in seconds.
  if (reply.status === 429) expect(reply.headers.get('retry-after') ?? '', where).toMatch(/^[1-9]\d*$/)
  expect(reply.headers.get('content-type'), where).toBe('application/json; charset=utf-8')
  const body = reply.body as Record<string, unknown>
  expect(body !== null && typeof body === 'object' && !Array.isArray(body), where).toBe(true)
  expect(Object.keys(body).sort(), where).toEqual(['code', 'error'])
  expect(typeof body.error, where).toBe('string')
  expect(ERROR_CODES as readonly string[], where).toContain(body.code as string)
}

/** The error's code and the field its message names (`payload: …` → payload), for a refusal. */
export const refusal = (reply: Reply) => {
  const body = reply.body as { error?: string; code?: string } | null
  return { code: body?.code, field: /^([\w.[\]]+):/.exec(body?.error ?? '')?.[1] ?? null }
}

/** The top-level name of a field as an error names it: `events[3].payload` → events, `plan_data.events` → plan_data. */
export const topLevel = (field: string | null) => field?.split(/[.[]/)[0] ?? null

/**
 * Everything a write could have changed, for the given users, their password hashes included. An agent
 * record made by presence alone (any agent request, even a refused one, creates it: docs/api.md §4) and
 * last_seen_at are left out.
 */
export async function snapshot(h: Harness, userIds: string[]): Promise<string> {
  const all = { limit: 100_000, after: null }
  const users = (await h.store.listUsers(all)).map((u) => [u.id, u.email, u.name, u.role])
  const per = await Promise.all(
    userIds.map(async (id) => ({
      passwordHash: await h.store.getPasswordHash(id),
      keys: (await h.store.listApiKeys(id, all)).map((k) => [k.id, k.name, k.environment, k.revokedAt]),
      missions: (await h.store.listMissions(id, all)).map((m) => [m.id, m.name, m.description]),
      plans: (await h.store.listPlans(id, null, all)).map((p) => [p.id, p.label, p.satelliteId, p.eventCount]),
      deployments: (await h.store.listDeployments(id, { ...all, ...NO_DEPLOYMENT_FILTER })).map((d) => [d.id, d.status, d.eventCount, d.agentId, d.mode, d.speedMultiplier]),
      agents: (await h.store.listAgents(id, all))
        .filter((a) => a.registeredAt !== null || a.lastHeartbeatAt !== null || a.lastTelemetry !== null)
        .map(({ lastSeenAt: _seen, ...rest }) => rest),
    })),
  )
  return JSON.stringify({ users, per })
}

/** GET /healthz answers 200 {"ok": true, "version", "schema"} (docs/operations.md). */
export async function expectHealthy(app: App) {
  const reply = await sendBytes(app, 'GET', '/healthz')
  expect(reply.status).toBe(200)
  expect(reply.body).toEqual(HEALTH)
}
