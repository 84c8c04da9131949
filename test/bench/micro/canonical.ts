// Micro-benchmark of canonicalJson's three fast paths (src/domain/event.ts): a flat payload whose keys come
// sorted is serialised as it is, a flat unsorted one through a sorted copy, a nested one by JSON.stringify
// with a sorted replacer array; each timed against the plain recursive serialiser (canonicalByHand's code).
// Also canonicalPayloadOf's shortcut: a flat sorted payload's own text, against canonicalJson.
// Usage: bun test/bench/micro/canonical.ts
import { canonicalJson, canonicalPayloadOf, isPlainObject, type JsonObject } from '../../../src/domain/event'
import { compare } from './harness'

/** The plain version (src/domain/event.ts canonicalByHand): sort the keys of every object, write it out. */
function byHand(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(byHand).join(',')}]`
  if (isPlainObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${byHand(value[k])}`).join(',')}}`
  return JSON.stringify(value)
}

// 64 distinct payloads of each shape, as parsed from a report (fresh objects, not one hot literal).
const many = (make: (i: number) => string) => Array.from({ length: 64 }, (_, i) => JSON.parse(make(i)) as JsonObject)
const unsorted = many((i) => `{"n":${i},"percent":${i % 100},"note":"steady state"}`)
const sorted = many((i) => `{"n":${i},"note":"steady state","percent":${i % 100}}`)
const nested = many((i) => `{"n":${i},"percent":${i % 100},"note":"steady state","stats":{"mean":${i / 3},"max":${i}},"tags":["a","b"]}`)
const ops = { ops: 64 }

console.log('canonicalJson (src/domain/event.ts), one payload per op')
compare('flat unsorted {n,percent,note} (the test event): sorted copy vs by hand', () => unsorted.map(canonicalJson), () => unsorted.map(byHand), ops)
compare('flat sorted: JSON.stringify vs by hand', () => sorted.map(canonicalJson), () => sorted.map(byHand), ops)
compare('nested: sorted replacer array vs by hand', () => nested.map(canonicalJson), () => nested.map(byHand), ops)
console.log('canonicalPayloadOf (src/domain/event.ts; once per reported event), one payload per op')
const sortedEvents = sorted.map((payload) => ({ payload, payloadJson: JSON.stringify(payload) }))
compare('flat sorted: its own text vs canonicalJson', () => sortedEvents.map(canonicalPayloadOf), () => sortedEvents.map((e) => canonicalJson(e.payload)), ops)
