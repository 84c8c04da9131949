// Every write route besides the report routes (docs/api.md §1, §2, §4, §5), as the fuzz suite sees it: a good
// body to start from, the fields to spoil, what the contract says of a parsed body, and how an accepted
// write reads back.
import { expect } from 'bun:test'
import { parseTimestamp } from '../../src/domain/time'
import { canon, parseExact } from './canonical'
import { num, obj, str, type J } from './json-text'
import { combine, isBadText, isObject, textField, v400, type Alt, type Check } from './oracle'
import { KEY_SCOPE, TELEMETRY_UNKNOWN, isOpen } from './known-gaps'
import type { Reply } from '../helpers'
import { PASSWORD_ROUTE } from './password-route'
import { sendBytes } from './wire'
import type { World } from './world'

export type Ctx = { w: World; dep: string; cancelled: string; serial: number }

export type RouteCase = {
  name: string
  path(c: Ctx): string
  headers(c: Ctx): Record<string, string>
  template(c: Ctx): Array<[string, J]>
  /** Top-level fields the fuzz replaces; text fields among them refuse a lone surrogate and U+0000. */
  fields: string[]
  textFields: string[]
  /** Judges a parsed body; null means the route reads no body (cancel). */
  rules: ((v: unknown, c: Ctx) => Alt[]) | null
  /** After a 2xx: what was written reads back as sent (`sent` parsed exactly). */
  readBack?(c: Ctx, sent: Record<string, unknown>, reply: unknown): Promise<void>
  /** At the start of a property that sends to this route; before and after every request (`sent` null when not JSON). */
  setup?(w: World): void
  before?(c: Ctx, alts: Alt[]): Promise<void>
  after?(c: Ctx, sent: unknown, reply: Reply): Promise<void>
}

const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && o[k] !== undefined
const oneOf = (o: Record<string, unknown>, k: string, allowed: string[]): Check => (!has(o, k) || allowed.includes(o[k] as string) ? 'ok' : [v400(k)])
/** A number field; one past a double's range (1e400 reads as Infinity) may be refused or not. */
const numberOrNull = (o: Record<string, unknown>, k: string): Check =>
  !has(o, k) || o[k] === null ? 'ok' : typeof o[k] !== 'number' ? [v400(k)] : Number.isFinite(o[k]) ? 'ok' : { soft: k }
const notObject: Alt[] = [v400('body')]

async function get(c: Ctx, path: string) {
  const reply = await sendBytes(c.w.h.app, 'GET', path, { headers: c.w.a.asKey })
  expect(reply.status, `GET ${path}: ${reply.text.slice(0, 200)}`).toBe(200)
  return parseExact(reply.text) as Record<string, unknown>
}

/** Text fields sent as strings read back as the same UTF-16 units. */
function expectSameText(stored: Record<string, unknown>, sent: Record<string, unknown>, fields: string[], what: string) {
  for (const f of fields) if (typeof sent[f] === 'string') expect(stored[f], `${what}.${f}`).toBe(sent[f])
}

/** A plan's data (docs/api.md §5): an object whose `events` is a non-empty array of well-formed plan events. */
function planDataAlts(data: unknown): Check {
  if (!isObject(data)) return [v400('plan_data')]
  const events = data.events
  if (!Array.isArray(events) || events.length === 0) return [v400('plan_data.events')]
  const hard: Alt[] = []
  let soft = false
  for (const [i, e] of events.entries()) {
    const at = `plan_data.events[${i}]`
    if (!isObject(e)) {
      hard.push(v400(at))
      continue
    }
    if (typeof e.type !== 'string' || e.type.length > 64 || !/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(e.type)) hard.push(v400(`${at}.type`))
    const t = e.timestamp_s
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) hard.push(v400(`${at}.timestamp_s`))
    // 0 may have been 1e-400 (a number above 0 no double holds), and the upper bound is the server's own.
    else if (t === 0 || t > 1e9) soft = true
    const step = e.step_id
    if (step !== undefined && step !== null && (typeof step !== 'string' || step.length > 128 || isBadText(step))) hard.push(v400(`${at}.step_id`))
    if (JSON.stringify(e).length > 60 * 1024) soft = true // its payload may pass 64 KiB (413)
  }
  if (hard.length > 0) return soft ? [...hard, v400('plan_data', true)] : hard
  return soft ? { soft: 'plan_data' } : 'ok'
}

const SOFT_413: Alt = { status: 413, code: 'PAYLOAD_TOO_LARGE' }

/** Every item of a paged list (docs/api.md §0 "Lists"), page after page. */
export async function listAll(c: Ctx, path: string, key: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = []
  let cursor: string | undefined
  do {
    const page = await get(c, `${path}?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
    items.push(...(page[key] as Array<Record<string, unknown>>))
    cursor = page.next_cursor as string | undefined
  } while (cursor)
  return items
}

/** The world's agent as GET /api/agents lists it. */
export const worldAgent = async (c: Ctx) => (await listAll(c, '/api/agents', 'agents')).find((a) => a.id === c.w.a.asAgent['x-agent-id'])!

/** The fields of the last telemetry sample stored for the world's agent. */
export async function lastTelemetry(c: Ctx): Promise<Record<string, unknown>> {
  return (await worldAgent(c)).last_telemetry as Record<string, unknown>
}

export const TELEMETRY_FIELDS = ['agent_id', 'status', 'timestamp', 'cpu_percent', 'memory_mb', 'battery_percent', 'temperature_c', 'position', 'compute_capacity']

export const ROUTES: RouteCase[] = [
  {
    name: 'POST /api/auth/login',
    path: () => '/api/auth/login',
    headers: () => ({}),
    template: (c) => [['email', str(c.w.a.email)], ['password', str('correct horse battery')]],
    fields: ['email', 'password'],
    textFields: [],
    rules: (v) => {
      if (!isObject(v)) return notObject
      const types = ['email', 'password'].filter((k) => typeof v[k] !== 'string').map((k) => v400(k))
      if (types.length) return types
      // Wrong credentials are 401, a throttled address 429; text the server will not even look up may be a 400.
      return [{ status: 200 }, { status: 401, code: 'UNAUTHORIZED' }, { status: 429, code: 'RATE_LIMITED' }, { status: 400, code: 'VALIDATION' }]
    },
  },
  {
    name: 'POST /api/keys',
    path: () => '/api/keys',
    headers: (c) => ({ cookie: c.w.a.cookie }),
    template: (c) => [['name', str(`key ${c.serial}`)], ['environment', str('test')]],
    fields: ['name', 'environment', ...(isOpen(KEY_SCOPE) ? [] : ['scope'])],
    textFields: ['name'],
    rules: (v) => {
      if (!isObject(v)) return notObject
      return combine({ status: 201 }, textField(v, 'name', { required: true, min: 1, max: 100, softMax: true }), oneOf(v, 'environment', ['live', 'test']), oneOf(v, 'scope', ['full', 'agent', 'read']))
    },
    readBack: async (_c, sent, reply) => expectSameText(reply as Record<string, unknown>, sent, ['name'], 'key'),
  },
  {
    name: 'POST /api/users',
    path: () => '/api/users',
    headers: (c) => ({ cookie: c.w.a.cookie }),
    template: (c) => [['email', str(`fuzz${c.serial}@example.test`)], ['password', str('long enough password')], ['name', str('Fuzz')], ['role', str('operator')]],
    fields: ['email', 'password', 'name', 'role'],
    textFields: ['name'],
    rules: (v) => {
      if (!isObject(v)) return notObject
      const email: Check = typeof v.email !== 'string' ? [v400('email')] : { soft: 'email' } // the contract does not say what an email is
      const password: Check = typeof v.password !== 'string' || v.password.length < 10 ? [v400('password')] : (v.password as string).length > 1024 ? { soft: 'password' } : 'ok'
      const alts = combine({ status: 201 }, email, password, textField(v, 'name', { max: 200, softMax: true }), oneOf(v, 'role', ['admin', 'operator']))
      return alts.some((a) => a.status === 201) ? [...alts, { status: 409, code: 'CONFLICT' }] : alts
    },
    readBack: async (_c, sent, reply) => expectSameText(reply as Record<string, unknown>, sent, ['email', 'name'], 'user'),
  },
  {
    name: 'POST /api/missions',
    path: () => '/api/missions',
    headers: (c) => c.w.a.asKey,
    template: () => [['name', str('ISS ML Pipeline')], ['description', str('a mission')]],
    fields: ['name', 'description'],
    textFields: ['name', 'description'],
    rules: (v) => {
      if (!isObject(v)) return notObject
      return combine({ status: 201 }, textField(v, 'name', { required: true, min: 1, max: 200, softMax: true }), textField(v, 'description', { max: 4000, softMax: true }))
    },
    readBack: async (c, sent, reply) => {
      const stored = await get(c, `/api/missions/${(reply as { id: string }).id}`)
      expectSameText(stored, sent, ['name', 'description'], 'mission')
    },
  },
  {
    name: 'POST /api/plans',
    path: () => '/api/plans',
    headers: (c) => c.w.a.asKey,
    template: (c) => [
      ['mission_id', str(c.w.a.missionId)],
      ['label', str('On-Board ML Inference')],
      ['satellite_id', str('25544')],
      ['satellite_name', str('ISS')],
      ['preset', str('onboard-ml-inference')],
      ['plan_data', obj({ events: { t: 'arr', items: [obj({ type: str('job.accepted'), timestamp_s: num('0'), message: str('go') }), obj({ type: str('step.started'), timestamp_s: num('0.0000001'), step_id: str('capture') })] } })],
    ],
    fields: ['mission_id', 'label', 'satellite_id', 'satellite_name', 'preset', 'plan_data'],
    textFields: ['mission_id', 'label', 'satellite_id', 'satellite_name', 'preset'],
    rules: (v, c) => {
      if (!isObject(v)) return notObject
      // A mission that is not the caller's answers 404 before the rest of the body is judged (docs/api.md §0 order).
      if (typeof v.mission_id === 'string' && v.mission_id !== c.w.a.missionId)
        return isBadText(v.mission_id) ? [{ status: 404, code: 'NOT_FOUND' }, v400('mission_id')] : [{ status: 404, code: 'NOT_FOUND' }]
      const alts = combine(
        { status: 201 },
        textField(v, 'mission_id', { required: true, min: 1 }),
        textField(v, 'label', { required: true, min: 1, max: 200, softMax: true }),
        textField(v, 'satellite_id', { required: true, min: 1, max: 64, softMax: true }),
        textField(v, 'satellite_name', { max: 200, softMax: true }),
        textField(v, 'preset', { max: 200, softMax: true }),
        planDataAlts(v.plan_data),
      )
      return alts.length > 1 || alts[0]!.status >= 400 ? [...alts, SOFT_413] : alts
    },
    readBack: async (c, sent, reply) => {
      const stored = await get(c, `/api/plans/${(reply as { id: string }).id}`)
      expectSameText(stored, sent, ['mission_id', 'label', 'satellite_id', 'satellite_name', 'preset'], 'plan')
      expect(canon(stored.plan_data), 'plan_data read back as sent').toBe(canon(sent.plan_data))
    },
  },
  {
    name: 'POST /api/deployments',
    path: () => '/api/deployments',
    headers: (c) => c.w.a.asKey,
    template: (c) => [['plan_id', str(c.w.a.planId)], ['mode', str('live')], ['speed_multiplier', num('100')]],
    fields: ['plan_id', 'mode', 'speed_multiplier'],
    textFields: ['plan_id'],
    rules: (v, c) => {
      if (!isObject(v)) return notObject
      if (typeof v.plan_id === 'string' && v.plan_id !== c.w.a.planId)
        return isBadText(v.plan_id) ? [{ status: 404, code: 'NOT_FOUND' }, v400('plan_id')] : [{ status: 404, code: 'NOT_FOUND' }]
      const speed = v.speed_multiplier
      const speedAlts: Check =
        speed === undefined ? 'ok' : typeof speed !== 'number' || !(speed > 0) || speed > 10000 ? [v400('speed_multiplier')] : speed === 10000 || speed < 1e-300 ? { soft: 'speed_multiplier' } : 'ok'
      return combine({ status: 201 }, textField(v, 'plan_id', { required: true, min: 1 }), oneOf(v, 'mode', ['simulated', 'live']), speedAlts)
    },
    readBack: async (c, sent, reply) => {
      const stored = await get(c, `/api/deployments/${(reply as { id: string }).id}`)
      expect(stored.plan_id).toBe(c.w.a.planId)
      expect(stored.mode).toBe(sent.mode ?? 'simulated')
    },
  },
  {
    name: 'POST /api/deployments/:id/cancel',
    path: (c) => `/api/deployments/${c.dep}/cancel`,
    headers: (c) => c.w.a.asKey,
    template: () => [],
    fields: [],
    textFields: [],
    rules: null,
    readBack: async (c, _sent, reply) => {
      expect(reply).toEqual({ id: c.dep, status: 'cancelled' })
      expect((await get(c, `/api/deployments/${c.dep}`)).status).toBe('cancelled')
    },
  },
  {
    name: 'POST /api/agent/register',
    path: () => '/api/agent/register',
    headers: (c) => c.w.a.asAgent,
    template: (c) => [['agent_id', str(c.w.a.asAgent['x-agent-id']!)], ['satellite_id', str('25544')], ['satellite_name', str('ISS')], ['agent_version', str('1.0.0')], ['orbit_altitude_km', num('408.5')]],
    fields: ['agent_id', 'satellite_id', 'satellite_name', 'agent_version', 'orbit_altitude_km'],
    textFields: ['agent_id', 'satellite_id', 'satellite_name', 'agent_version'],
    rules: (v, c) => {
      if (!isObject(v)) return notObject
      const mismatch: Check = typeof v.agent_id === 'string' && v.agent_id !== c.w.a.asAgent['x-agent-id'] ? [v400('agent_id')] : 'ok'
      return combine(
        { status: 201 },
        mismatch,
        textField(v, 'agent_id', { required: true, min: 1 }),
        textField(v, 'satellite_id', { min: 1, max: 64, softMax: true }),
        textField(v, 'satellite_name', { max: 200, softMax: true }),
        textField(v, 'agent_version', { max: 64, softMax: true }),
        numberOrNull(v, 'orbit_altitude_km'),
        typeof v.satellite_id === 'string' && v.satellite_id === '' ? { soft: 'satellite_id' } : 'ok',
      )
    },
    readBack: async (c, sent) => {
      const agent = await worldAgent(c)
      for (const f of ['satellite_id', 'satellite_name', 'agent_version']) if (typeof sent[f] === 'string') expect(agent[f], `agent.${f}`).toBe(sent[f])
    },
  },
  {
    name: 'POST /api/agent/telemetry',
    path: () => '/api/agent/telemetry',
    headers: (c) => c.w.a.asAgent,
    template: () => [['status', str('executing')], ['timestamp', str('2026-03-07T12:00:00Z')], ['cpu_percent', num('42.5')], ['memory_mb', num('512')], ['position', obj({ lat: num('51.6'), lon: num('-0.1'), altitude_km: num('408'), in_eclipse: { t: 'lit', text: 'false' } })]],
    fields: ['agent_id', 'status', 'timestamp', 'cpu_percent', 'memory_mb', 'battery_percent', 'temperature_c', 'position', 'compute_capacity'],
    textFields: ['agent_id', 'timestamp'],
    rules: (v, c) => {
      if (!isObject(v)) return notObject
      const mismatch: Check = typeof v.agent_id === 'string' && v.agent_id !== c.w.a.asAgent['x-agent-id'] ? [v400('agent_id')] : 'ok'
      const numbers = ['cpu_percent', 'memory_mb', 'battery_percent', 'temperature_c', 'compute_capacity'].map((k) => numberOrNull(v, k))
      const ts: Check = !has(v, 'timestamp') ? 'ok' : typeof v.timestamp !== 'string' || parseTimestamp(v.timestamp) === null ? [v400('timestamp')] : 'ok'
      const position: Check = !has(v, 'position') || v.position === null ? 'ok' : isObject(v.position) ? { soft: 'position' } : [v400('position')]
      return combine({ status: 200 }, mismatch, textField(v, 'agent_id', {}), oneOf(v, 'status', ['idle', 'executing', 'transferring', 'offline']), ts, position, ...numbers)
    },
    readBack: async (c) => {
      if (isOpen(TELEMETRY_UNKNOWN)) return
      // Unknown fields are ignored and not stored (docs/api.md §0).
      expect(Object.keys(await lastTelemetry(c)).filter((k) => !TELEMETRY_FIELDS.includes(k)), 'unknown telemetry fields stored').toEqual([])
    },
  },
  PASSWORD_ROUTE,
]
