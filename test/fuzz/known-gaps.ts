// Properties of the fuzz suite that fail on this revision, each with a minimal reproduction. Such a
// property runs as test.failing (settings.ts); when a fix makes it pass, `npm test` says so: remove it here.
export const KNOWN_GAPS: Record<string, string> = {}
