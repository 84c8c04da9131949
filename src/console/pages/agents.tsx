/** @jsxImportSource preact */
// Placeholder: filled in by the console issue's page work (docs/console.md).
import type { ConsoleRoute } from '../kit'

export const agentPages: ConsoleRoute[] = []
