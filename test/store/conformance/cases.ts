// Every conformance case file, in one list: both runners register exactly these.
import type { Backend } from './backend'
import { accountCases } from './accounts'
import { agentCases } from './agents'
import { auditCases } from './audit'
import { catalogCases } from './catalog'
import { deploymentCases } from './deployments'
import { dispatchCases } from './dispatch'
import { eventCases } from './events'
import { retentionCases } from './retention'
import { systemCases } from './system'
import { webhookCases } from './webhooks'

export const CASES: Array<(backend: Backend) => void> = [
  systemCases,
  accountCases,
  auditCases,
  catalogCases,
  deploymentCases,
  eventCases,
  dispatchCases,
  agentCases,
  webhookCases,
  retentionCases,
]
