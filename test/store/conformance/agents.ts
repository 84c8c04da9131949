// Conformance cases: not written yet.
import type { Backend } from './backend'

export function agentCases(_backend: Backend) {}
