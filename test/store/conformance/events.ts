// Conformance cases: not written yet.
import type { Backend } from './backend'

export function eventCases(_backend: Backend) {}
