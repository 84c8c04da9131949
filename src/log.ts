// One JSON line per log record on stderr: easy to read at a console, easy to feed to a collector.
type Fields = Record<string, unknown>

function write(level: 'info' | 'warn' | 'error', msg: string, fields?: Fields) {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`)
}

export type Logger = { info(msg: string, fields?: Fields): void; warn(msg: string, fields?: Fields): void; error(msg: string, fields?: Fields): void }

export const stderrLogger: Logger = {
  info: (msg, fields) => write('info', msg, fields),
  warn: (msg, fields) => write('warn', msg, fields),
  error: (msg, fields) => write('error', msg, fields),
}

/** What a log line says of a thrown value: its stack when it has one. */
export const errorDetail = (error: unknown) => (error instanceof Error ? error.stack : String(error))

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
