// Micro-benchmark of event ids (src/domain/ids.ts createEventIds): the keyed four-round Feistel permutation
// against what vetted keyed constructions from node:crypto would cost per id: AES-128 on one block (a
// permutation of 128 bits, of which an id could keep only 80, so no longer certainly distinct), HMAC-SHA256
// truncated (not a permutation either), and a Feistel network whose round function is AES (Luby-Rackoff:
// a permutation built on a vetted primitive). Ids as ingestion makes them (one millisecond, many seqs) and
// as a list reads them (every row another millisecond). Usage: bun test/bench/micro/ids.ts
import { createCipheriv, createHmac, randomBytes } from 'node:crypto'
import { createEventIds } from '../../../src/domain/ids'
import { compare } from './harness'

const secret = 4_503_599_627_370_449
const eventId = createEventIds(secret)
const key = randomBytes(16)
const aes = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false)
const block = Buffer.alloc(16)
/** One AES block of the seq, as the id's 80 bits would be taken from it. */
function aesBits(seq: number): string {
  block.writeUIntBE(Math.floor(seq / 2 ** 32), 0, 4)
  block.writeUInt32BE(seq >>> 0, 4)
  return aes.update(block).toString('hex', 0, 10)
}
function hmacBits(seq: number): string {
  block.writeUIntBE(Math.floor(seq / 2 ** 32), 0, 4)
  block.writeUInt32BE(seq >>> 0, 4)
  return createHmac('sha256', key).update(block.subarray(0, 8)).digest('hex').slice(0, 20)
}
/** Four Feistel rounds on 2 × 32 bits, each round's function one AES block of the other half and the round. */
const roundBlock = Buffer.alloc(16)
function aesFeistel(seq: number): number {
  let left = Math.floor(seq / 2 ** 32) >>> 0
  let right = seq >>> 0
  for (let round = 0; round < 4; round++) {
    roundBlock.writeUInt32BE(right, 0)
    roundBlock[4] = round
    const next = (left ^ aes.update(roundBlock).readUInt32BE(0)) >>> 0
    left = right
    right = next
  }
  return left * 2 ** 32 + right
}

const now = Date.UTC(2026, 2, 7, 12) * 1000
let seq = 1_000_000
console.log('event ids (src/domain/ids.ts), one id per op')
compare('Feistel id vs AES-128 block', () => eventId(now, ++seq), () => aesBits(++seq), { same: false })
compare('Feistel id vs HMAC-SHA256 truncated', () => eventId(now, ++seq), () => hmacBits(++seq), { same: false })
compare('Feistel id vs 4-round Feistel on AES (permutation only, no text)', () => eventId(now, ++seq), () => aesFeistel(++seq), { same: false })
let ms = 0
// Not a comparison of constructions: what the id's cached head (its millisecond) saves when ids share it.
compare('Feistel id: same millisecond (head cached) vs every id another millisecond', () => eventId(now, ++seq), () => eventId(now + ++ms * 10_000, ++seq), { same: false })
