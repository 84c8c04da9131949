// Conformance cases: not written yet.
import type { Backend } from './backend'

export function deploymentCases(_backend: Backend) {}
