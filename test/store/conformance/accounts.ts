// Conformance cases: not written yet.
import type { Backend } from './backend'

export function accountCases(_backend: Backend) {}
