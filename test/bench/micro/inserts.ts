// Micro-benchmark of ten-row INSERTs (src/store/sqlite/events.ts ROWS_PER_INSERT, openRowBuffer): rows
// buffered and bound ten to a statement, against one prepared one-row INSERT per event, in transactions of
// a batch (500 events) and of a group of single reports (20), on a real WAL file with the events table.
// Usage: bun test/bench/micro/inserts.ts
import { compare } from './harness'
import { COLUMNS, PLACEHOLDERS, ROW_WIDTH, openBenchDatabase, rowOf, type Row } from './db'

const ROWS_PER_INSERT = 10
const { sqlite, close } = openBenchDatabase()
const insertOne = sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${PLACEHOLDERS}`)
const insertMany = sqlite.prepare(`INSERT INTO events (${COLUMNS}) VALUES ${Array(ROWS_PER_INSERT).fill(PLACEHOLDERS).join(', ')}`)

/** openRowBuffer's code: rows flattened into one array, written ten to a statement, the rest one by one. */
function buffered(rows: Row[]) {
  const buffer: Row[number][] = []
  const insertBuffered = () => {
    const chunk = ROWS_PER_INSERT * ROW_WIDTH
    let at = 0
    for (; buffer.length - at >= chunk; at += chunk) insertMany.run(...buffer.slice(at, at + chunk))
    for (; at < buffer.length; at += ROW_WIDTH) insertOne.run(...buffer.slice(at, at + ROW_WIDTH))
    buffer.length = 0
  }
  for (const row of rows) {
    buffer.push(...row)
    if (buffer.length >= ROWS_PER_INSERT * ROW_WIDTH) insertBuffered()
  }
  insertBuffered()
}
const oneByOne = (rows: Row[]) => {
  for (const row of rows) insertOne.run(...row)
}

let n = 0
const next = (count: number) => Array.from({ length: count }, () => rowOf(++n))
console.log('event INSERTs (src/store/sqlite/events.ts), one event per op, the transaction and its commit included')
for (const size of [500, 20]) {
  compare(
    `transaction of ${size}: ten-row INSERTs vs one-row INSERTs`,
    () => sqlite.transaction(buffered).immediate(next(size)),
    () => sqlite.transaction(oneByOne).immediate(next(size)),
    { ops: size, same: false },
  )
}
console.log(`  (${n} events written)`)
close()
