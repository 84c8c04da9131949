// Every conformance case file, in one list: both runners register exactly these.
import type { Backend } from './backend'
import { systemCases } from './system'

export const CASES: Array<(backend: Backend) => void> = [systemCases]
