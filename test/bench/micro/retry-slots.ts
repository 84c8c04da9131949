// How a group remembers the keyless events it added, for a later retry in the same transaction
// (src/store/sqlite/events.ts openRetryLookup): a Map keyed by a string slot per event (deployment, instant,
// digest), against nested Maps keyed by the numbers themselves. 2 000 events, as in a full group.
// Usage: bun test/bench/micro/retry-slots.ts
const N = 2000
const instants = Array.from({ length: N }, (_, i) => 1_772_884_800_000_000 + i * 1000)
const digests = Array.from({ length: N }, () => Math.floor(Math.random() * 2 ** 53))

function perEvent(name: string, remember: () => unknown) {
  for (let i = 0; i < 200; i++) remember()
  const began = performance.now()
  for (let i = 0; i < 2000; i++) remember()
  const micros = ((performance.now() - began) * 1000) / 2000 / N
  console.log(`${name}: ${micros.toFixed(3)} µs an event`)
  return micros
}

const strings = perEvent('string slots', () => {
  const added = new Map<string, number[]>()
  for (let i = 0; i < N; i++) {
    const slot = `${7}\n${instants[i]}\n${digests[i]}`
    const same = added.get(slot)
    if (same) same.push(i)
    else added.set(slot, [i])
  }
  return added
})
const numbers = perEvent('numeric keys', () => {
  const added = new Map<number, Map<number, Array<{ digest: number }>>>()
  for (let i = 0; i < N; i++) {
    let byInstant = added.get(7)
    if (!byInstant) added.set(7, (byInstant = new Map()))
    const same = byInstant.get(instants[i]!)
    if (same) same.push({ digest: digests[i]! })
    else byInstant.set(instants[i]!, [{ digest: digests[i]! }])
  }
  return added
})
console.log(`numeric keys take ${(numbers / strings).toFixed(2)}× the time of string slots`)
