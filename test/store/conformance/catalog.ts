// Conformance cases: not written yet.
import type { Backend } from './backend'

export function catalogCases(_backend: Backend) {}
