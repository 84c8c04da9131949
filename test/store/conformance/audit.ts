// Conformance cases: not written yet.
import type { Backend } from './backend'

export function auditCases(_backend: Backend) {}
