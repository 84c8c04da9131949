// Identifier and text fields (docs/api.md §0, docs/limits.md): a lone surrogate cannot be stored as UTF-8 (it
// would become U+FFFD, and two different values one), and U+0000 ends strings in C tools and some
// databases. Both are refused rather than altered. Pure.
import { invalid } from './errors'

export const TEXT_RULE = 'must be Unicode text without lone surrogates or U+0000'

export const isCleanText = (value: string): boolean => value.isWellFormed() && !value.includes('\0')

/** Throws VALIDATION naming `field` if `value` holds a lone surrogate (a secret: U+0000 is allowed). */
export function requireWellFormed(value: string, field: string) {
  if (!value.isWellFormed()) throw invalid(field, 'must not contain a lone surrogate (\\ud800 without its pair)')
}

/** Throws VALIDATION naming `field` unless `value` (when a string) is clean text. */
export function requireCleanText(value: unknown, field: string) {
  if (typeof value === 'string' && !isCleanText(value)) throw invalid(field, TEXT_RULE)
}
