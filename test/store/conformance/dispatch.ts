// Conformance cases: not written yet.
import type { Backend } from './backend'

export function dispatchCases(_backend: Backend) {}
