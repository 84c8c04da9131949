// A storage outage is a 503 on every backend (docs/api.md §0): the HTTP layer asks the store whether an
// error means "unavailable" (Store.isUnavailable) instead of knowing any backend's error codes.
import { expect, test } from 'bun:test'
import { toAppError } from '../../src/http/errors'
import { silentLogger } from '../../src/log'
import { isSqliteUnavailable } from '../../src/store/sqlite'

const sqliteError = (code: string) => Object.assign(new Error(code), { code })

test('an error the store calls unavailable is 503 UNAVAILABLE; anything else unexpected is 500 INTERNAL', () => {
  const outage = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })
  expect(toAppError(outage, silentLogger, 'test', (e) => e === outage).code).toBe('UNAVAILABLE')
  expect(toAppError(outage, silentLogger, 'test', () => false).code).toBe('INTERNAL')
  expect(toAppError(new TypeError('x'), silentLogger, 'test').code).toBe('INTERNAL')
})

test('SQLite: busy, locked, full, read-only, I/O, cannot open, protocol are unavailable; constraint and others are not', () => {
  for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOLFS', 'SQLITE_BUSY_SNAPSHOT'])
    expect(isSqliteUnavailable(sqliteError(code))).toBe(true)
  for (const value of [sqliteError('SQLITE_CONSTRAINT_UNIQUE'), sqliteError('SQLITE_ERROR'), new Error('x'), null, undefined, 'SQLITE_BUSY', { code: 5 }])
    expect(isSqliteUnavailable(value)).toBe(false)
})
