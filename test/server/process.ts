// Starts the real server (source or compiled binary) as a child process on a free port, and drives it
// over HTTP the way an operator would.
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import pkg from '../../package.json'

export const ROOT = join(import.meta.dir, '../..')
export const ADMIN = { email: 'ops@station.test', password: 'ground-station-pw' }

export type Running = { url: string; proc: Subprocess; stdout: () => string; stderr: () => string; stop(): Promise<void>; kill(): Promise<void> }

/** Bun's flags from `npm start` (`bun <flags> src/main.ts`), so that tests run the server as it is started. */
export const START_FLAGS = pkg.scripts.start.split(' ').slice(1, -1)

/**
 * `command` defaults to running src/main.ts with the project's Bun and START_FLAGS (or `bunFlags`); pass a
 * binary path to run that.
 */
export async function startServer(options: {
  db: string
  cwd?: string
  binary?: string
  bunFlags?: string[]
  args?: string[]
  env?: Record<string, string>
}): Promise<Running> {
  const command = options.binary ? [options.binary] : [process.execPath, ...(options.bunFlags ?? START_FLAGS), join(ROOT, 'src/main.ts')]
  const proc = Bun.spawn([...command, 'serve', '--port', '0', '--db', options.db, ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const stdout = drain(proc.stdout)
  const stderr = drain(proc.stderr)
  const url = await waitFor(() => /"msg":"listening","url":"([^"]+)"/.exec(stderr.text())?.[1], proc, stderr.text)
  return {
    url,
    proc,
    stdout: stdout.text,
    stderr: stderr.text,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
    async kill() {
      proc.kill('SIGKILL')
      await proc.exited
    },
  }
}

/** Reads a child's pipe to the end in the background, so the child never blocks on a full pipe. */
function drain(stream: ReadableStream<Uint8Array>) {
  let text = ''
  const decoder = new TextDecoder()
  void (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true })
  })().catch(() => {})
  return { text: () => text }
}

async function waitFor<T>(probe: () => T | undefined, proc: Subprocess, output: () => string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`server did not start:\n${output()}`)
    }
    await Bun.sleep(10)
  }
}

/** An operator's session and an agent's key against a running server, with one live deployment (`who`: the admin unless given). */
export async function setUpOperator(url: string, who: { email: string; password: string } = ADMIN) {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) })
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`)
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`)
    return (await r.json()) as { id: string; key?: string }
  }
  const key = (await post('/api/keys', { name: 'agent' }, { cookie })).key!
  const asKey = { 'x-api-key': key }
  const mission = await post('/api/missions', { name: 'Soak' }, asKey)
  const plan = await post('/api/plans', { mission_id: mission.id, label: 'p', satellite_id: 'no-agent-polls-this', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)
  const deployment = await post('/api/deployments', { plan_id: plan.id, mode: 'live' }, asKey)
  return { cookie, key, asKey, asAgent: { ...asKey, 'x-agent-id': 'sat-25544' }, deploymentId: deployment.id, planId: plan.id, post }
}
