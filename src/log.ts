// One JSON line per log record on stderr: easy to read at a console, easy to feed to a collector.
// `--log-level` (docs/operations.md "Logs") drops records below it; request lines are info.
type Fields = Record<string, unknown>

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

function write(level: LogLevel, msg: string, fields?: Fields) {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`)
}

export type Logger = {
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  debug?(msg: string, fields?: Fields): void
  /** Whether a record of this level is written at all (absent: every level is). */
  enabled?(level: LogLevel): boolean
}

const nothing = () => {}

/** A stderr logger that writes records of `level` and above. */
export function createStderrLogger(level: LogLevel = 'info'): Logger & { level: LogLevel; debug(msg: string, fields?: Fields): void; enabled(level: LogLevel): boolean } {
  const at = (wanted: LogLevel) => (RANK[wanted] >= RANK[level] ? (msg: string, fields?: Fields) => write(wanted, msg, fields) : nothing)
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), enabled: (wanted) => RANK[wanted] >= RANK[level] }
}

export const stderrLogger = createStderrLogger('info')

/** What a log line says of a thrown value: its stack when it has one. */
export const errorDetail = (error: unknown) => (error instanceof Error ? error.stack : String(error))

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {}, enabled: () => false }
