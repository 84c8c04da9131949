// Conformance cases: not written yet.
import type { Backend } from './backend'

export function retentionCases(_backend: Backend) {}
