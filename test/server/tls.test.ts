// HTTPS served directly (issue 11 part 7, docs/operations.md "TLS"), with self-signed certificates this
// test makes with openssl: HTTPS works, the session cookie is Secure, SIGHUP with a renewed certificate
// serves it to new connections while a stream opened before keeps receiving events, a bad file at SIGHUP
// keeps the old certificate, and a bad file at start is exit 1 with a clear message.
import { describe, expect, test } from 'bun:test'
import { copyFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { tempDir } from '../helpers'
import { ADMIN, ROOT, START_FLAGS, startServer } from './process'

const HAS_OPENSSL = Boolean(Bun.which('openssl'))

function makeCert(dir: string, name: string) {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  const made = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stderr: 'pipe' })
  if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr.toString()}`)
  const fingerprint = Bun.spawnSync(['openssl', 'x509', '-in', cert, '-noout', '-fingerprint', '-sha256']).stdout.toString().trim().split('=')[1]!
  return { cert, key, fingerprint }
}

/** The SHA-256 fingerprint of the certificate a new TLS connection is given. */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256
      socket.end()
      resolve(fingerprint)
    })
    socket.on('error', reject)
  })
}

const insecure = { tls: { rejectUnauthorized: false } } as const

describe.skipIf(!HAS_OPENSSL)('TLS', () => {
  test('HTTPS with a Secure cookie; SIGHUP serves a renewed certificate, keeps an open stream, and keeps the old one when the new file is bad', async () => {
    const dir = tempDir()
    try {
      const first = makeCert(dir.path, 'first')
      const second = makeCert(dir.path, 'second')
      expect(first.fingerprint).not.toBe(second.fingerprint)
      // The paths the server is given; renewing replaces their contents, as certbot or an admin would.
      const cert = join(dir.path, 'server.crt')
      const key = join(dir.path, 'server.key')
      copyFileSync(first.cert, cert)
      copyFileSync(first.key, key)
      const server = await startServer({ db: join(dir.path, 'gc.db'), args: ['--tls-cert', cert, '--tls-key', key] })
      try {
        expect(server.url).toStartWith('https://')
        const port = Number(new URL(server.url).port)
        expect(await peerFingerprint(port)).toBe(first.fingerprint)
        const health = await fetch(`${server.url}/healthz`, insecure)
        expect(health.status).toBe(200)
        // Plain HTTP on the TLS port is not served.
        expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'refused')).not.toBe(200)

        const login = await fetch(`${server.url}/api/auth/login`, { ...insecure, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
        expect(login.status).toBe(200)
        const setCookie = login.headers.get('set-cookie')!
        expect(setCookie).toContain('; Secure')
        const cookie = setCookie.split(';')[0]!
        const post = async (path: string, body: unknown, headers: Record<string, string>) => {
          const r = await fetch(`${server.url}${path}`, { ...insecure, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
          expect(r.status).toBeLessThan(300)
          return (await r.json()) as { id: string; key?: string }
        }
        const apiKey = (await post('/api/keys', { name: 'agent' }, { cookie })).key!
        const asKey = { 'x-api-key': apiKey }
        const mission = await post('/api/missions', { name: 'TLS' }, asKey)
        const plan = await post('/api/plans', { mission_id: mission.id, label: 'p', satellite_id: 'nobody', plan_data: { events: [{ type: 'job.accepted', timestamp_s: 0 }] } }, asKey)
        const deployment = await post('/api/deployments', { plan_id: plan.id, mode: 'live' }, asKey)
        const report = (n: number) =>
          post(`/api/deployments/${deployment.id}/events`, { type: 'step.progress', timestamp: new Date(Date.UTC(2026, 2, 7, 12, 0, n)).toISOString(), payload: { n } }, { ...asKey, 'x-agent-id': 'sat-1' })

        // A stream opened on the first certificate.
        const stream = await fetch(`${server.url}/api/deployments/${deployment.id}/events/stream`, { ...insecure, headers: asKey })
        expect(stream.status).toBe(200)
        const reader = stream.body!.getReader()
        let seen = ''
        const readUntil = async (needle: string) => {
          const deadline = Date.now() + 10_000
          while (!seen.includes(needle)) {
            if (Date.now() > deadline) throw new Error(`stream: no ${needle} in ${seen}`)
            const { value, done } = await reader.read()
            if (done) throw new Error(`stream ended before ${needle}: ${seen}`)
            seen += new TextDecoder().decode(value)
          }
        }
        await report(1)
        await readUntil('id: 1\n')

        // Renewed: the same paths, new contents, then SIGHUP.
        copyFileSync(second.cert, cert)
        copyFileSync(second.key, key)
        server.proc.kill('SIGHUP')
        await waitFor(() => server.stderr().includes('serving the new certificate'))
        expect(await peerFingerprint(port)).toBe(second.fingerprint)
        expect((await fetch(`${server.url}/healthz`, insecure)).status).toBe(200)
        // The stream opened before goes on, on its own connection.
        await report(2)
        await readUntil('id: 2\n')

        // A bad renewal (a key that is not the certificate's, then a file that is not PEM): the last good one stays.
        copyFileSync(first.key, key)
        server.proc.kill('SIGHUP')
        await waitFor(() => server.stderr().includes('does not belong to the certificate'))
        writeFileSync(cert, 'not a certificate\n')
        server.proc.kill('SIGHUP')
        await waitFor(() => server.stderr().includes('is not a PEM certificate'))
        expect(server.stderr()).toContain('still serving the old one')
        expect(await peerFingerprint(port)).toBe(second.fingerprint)
        await report(3)
        await readUntil('id: 3\n')
        expect(server.proc.exitCode).toBeNull()
        await reader.cancel()
      } finally {
        await server.stop()
      }
      expect(server.proc.exitCode).toBe(0)
    } finally {
      dir.remove()
    }
  }, 60_000)

  test('a certificate that cannot be used at start: a clear message and exit 1', async () => {
    const dir = tempDir()
    try {
      const good = makeCert(dir.path, 'good')
      const other = makeCert(dir.path, 'other')
      const bad = join(dir.path, 'bad.crt')
      writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n')
      const start = (cert: string, key: string) => {
        const run = Bun.spawnSync([process.execPath, ...START_FLAGS, join(ROOT, 'src/main.ts'), 'serve', '--port', '0', '--db', join(dir.path, 'gc.db'), '--tls-cert', cert, '--tls-key', key], {
          env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
          stderr: 'pipe',
          timeout: 20_000,
        })
        return { code: run.exitCode, err: run.stderr.toString() }
      }
      expect(start(bad, good.key)).toMatchObject({ code: 1, err: expect.stringContaining(`${bad} is not a PEM certificate (--tls-cert)`) })
      expect(start(good.cert, other.key)).toMatchObject({ code: 1, err: expect.stringContaining(`the private key ${other.key} does not belong to the certificate ${good.cert}`) })
      expect(start(join(dir.path, 'missing.crt'), good.key)).toMatchObject({ code: 1, err: expect.stringContaining('cannot read the certificate (--tls-cert)') })
      // Nothing was created: the database is opened only after the certificate is checked.
      expect(await Bun.file(join(dir.path, 'gc.db')).exists()).toBe(false)
    } finally {
      dir.remove()
    }
  }, 60_000)
})

async function waitFor(probe: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await Bun.sleep(20)
  }
}
