// Secrets handed to clients: API keys and session tokens. Only their SHA-256 hashes are ever stored.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { KeyEnvironment } from '../domain/accounts'

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const API_KEY_RANDOM_LENGTH = 40
export const API_KEY_PATTERN = /^rs_(live|test)_[A-Za-z0-9]{32,}$/
const KEY_DISPLAY_LENGTH = 12

/** Uniform base62: bytes of 248 and above are dropped, so no character is more likely than another. */
function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]
    }
  }
  return out
}

export function generateApiKey(environment: KeyEnvironment) {
  const key = `rs_${environment}_${randomBase62(API_KEY_RANDOM_LENGTH)}`
  return { key, prefix: key.slice(0, KEY_DISPLAY_LENGTH), hash: sha256Hex(key) }
}

export const sha256Hex = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest('hex')

/** A session token is `id.secret`: the id finds the row, the secret proves possession. */
export function generateSessionSecret(): string {
  return randomBytes(32).toString('base64url')
}

export function splitSessionToken(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf('.')
  if (dot <= 0 || dot === token.length - 1 || token.length > 200) return null
  return { id: token.slice(0, dot), secret: token.slice(dot + 1) }
}

/** Compares two hex digests in constant time, so timing reveals nothing about a stored hash. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && timingSafeEqual(left, right)
}
