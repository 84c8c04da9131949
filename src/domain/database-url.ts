// What `--db` and DATABASE_URL name (docs/postgres.md): a PostgreSQL URL, or a SQLite file path. Pure.

/** Whether `db` is a PostgreSQL connection URL rather than a file path. */
export const isPostgresUrl = (db: string) => /^postgres(ql)?:\/\//i.test(db)

/** A URL (of any scheme) with its password replaced, for logs and messages; a file path as it is. */
export function redactUrl(db: string): string {
  if (!db.includes('://')) return db
  try {
    const url = new URL(db)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return '(a URL that cannot be parsed)'
  }
}
