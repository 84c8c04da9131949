// Conformance cases: not written yet.
import type { Backend } from './backend'

export function webhookCases(_backend: Backend) {}
