// Admin operations (docs/operations.md): POST /api/admin/backup streams a consistent snapshot of the
// database. A download, not a file written on the server: a backup is worth something only once it is off
// the machine, and a web request that names a server-side path would be a way to write files anywhere
// the server may. The snapshot is made on a worker thread (src/store/sqlite/backup.ts), then read from
// an unlinked file a MiB at a time as the client takes it, so nothing is left behind however it ends.
import { close as closeFd, fstat, open, read, unlink } from 'node:fs'
import { promisify } from 'node:util'
import { Elysia } from 'elysia'
import { actorOf, type RouteDeps } from './deps'
import { auditEntry } from '../domain/audit'
import { documented } from '../http/route-doc'
import { Text } from '../http/schemas'

const CHUNK = 1024 * 1024
// A plain descriptor, not a FileHandle: a FileHandle that is garbage-collected unclosed (a response nobody
// read) throws, and would take the server down with it.
const openFile = promisify(open)
const readFile = promisify(read)
const statFile = promisify(fstat)
const unlinkFile = promisify(unlink)

export const adminRoutes = (deps: RouteDeps) => {
  const { store, guard, log } = deps
  return (
  new Elysia({ name: 'routes/admin', prefix: '/api/admin' }).use(guard).post(
    '/backup',
    async ({ principal, request }) => {
      const started = performance.now()
      const path = await store.backup()
      const fd = await openFile(path, 'r')
      // Unlinked at once: the open descriptor keeps the data until the stream closes it, and a crash leaves nothing.
      await unlinkFile(path).catch(() => {})
      const size = (await statFile(fd)).size
      log.info('backup made', { userId: principal.user.id, bytes: size, ms: Math.round(performance.now() - started) })
      // Recorded once the snapshot exists (a read has no transaction of its own to share: docs/api.md §1 "Audit").
      await store.recordAudit(auditEntry(actorOf(deps, request, principal.user), 'backup', null, { bytes: size }))
      const buffer = new Uint8Array(CHUNK)
      let closed = false
      const close = () => {
        if (closed) return
        closed = true
        closeFd(fd, () => {})
      }
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { bytesRead } = await readFile(fd, buffer, 0, CHUNK, null)
            if (bytesRead === 0) {
              close()
              controller.close()
            } else controller.enqueue(buffer.slice(0, bytesRead))
          } catch (error) {
            close()
            controller.error(error)
          }
        },
        cancel: close,
      })
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
      return new Response(body, {
        headers: {
          'content-type': 'application/vnd.sqlite3',
          'content-disposition': `attachment; filename="ground-console-${stamp}.db"`,
          'cache-control': 'no-store',
          'x-schema-version': String(store.schema.migrations),
        },
      })
    },
    {
      auth: 'admin',
      ...documented({
        tag: 'operations',
        summary: 'Download a backup',
        description:
          'A consistent snapshot of the SQLite database, made while the server goes on ingesting (docs/operations.md "Backup and restore"). 409 while another backup is being made, and always on PostgreSQL, whose backups are pg_dump\'s (docs/postgres.md "Backups").',
        auth: 'admin',
        changes: true,
        errors: [409],
        media: { 200: 'application/vnd.sqlite3' },
        response: { 200: Text },
      }),
    },
  )
  )
}
