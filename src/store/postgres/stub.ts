// Placeholder for the parts of the PostgreSQL backend not written yet: every method throws. Removed once
// each part has its implementation.
export function notYet<T extends string>(names: readonly T[]): Record<T, () => never> {
  return Object.fromEntries(names.map((name) => [name, () => { throw new Error(`PostgreSQL backend: ${name} is not implemented yet`) }])) as Record<T, () => never>
}
