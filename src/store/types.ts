// The storage interface: what the rest of the server may ask of a database. Routes and services see only
// this; src/store/sqlite/ implements it on bun:sqlite, and a PostgreSQL backend would implement it again.
// Methods are async so that a networked backend fits without touching callers.
import type { DeploymentMode, DeploymentStatus } from '../domain/deployment'
import type { EventInput } from '../domain/event'
import type { KeyEnvironment, Role } from '../db/schema'

export type User = { id: string; email: string; name: string | null; role: Role; createdAt: number }
export type UserWithPassword = User & { passwordHash: string }
export type Session = { id: string; userId: string; secretHash: string; createdAt: number; expiresAt: number }
export type ApiKey = {
  id: string
  userId: string
  name: string
  prefix: string
  environment: KeyEnvironment
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}
export type Mission = { id: string; userId: string; name: string; description: string | null; createdAt: number }
export type Plan = {
  id: string
  userId: string
  missionId: string
  label: string
  satelliteId: string
  satelliteName: string | null
  preset: string | null
  eventCount: number
  createdAt: number
}
export type PlanWithData = Plan & { planData: string }
export type Deployment = {
  id: string
  userId: string
  missionId: string
  planId: string
  satelliteId: string
  status: DeploymentStatus
  mode: DeploymentMode
  speedMultiplier: number
  agentId: string | null
  createdAt: number
  dispatchedAt: number | null
  startedAt: number | null
  completedAt: number | null
  eventCount: number
  missionName: string
  planLabel: string
}
export type StoredEvent = {
  seq: number
  id: string
  eventType: string
  eventTimestamp: number
  jobId: string | null
  stepId: string | null
  /** JSON text, served as it is. */
  payload: string
  createdAt: number
}

/** Who reports an event: an agent (checked against the deployment) or the server's own replay. */
export type Reporter = { kind: 'agent'; agentId: string } | { kind: 'replay' }

export type RecordEventInput = {
  userId: string
  deploymentId: string
  reporter: Reporter
  event: EventInput
  identity: string
  now: number
}
export type RecordEventResult = { id: string; created: boolean }

export interface Store {
  /** Throws when the database does not answer. */
  ping(): Promise<void>
  close(): void

  countUsers(): Promise<number>
  /** Throws CONFLICT when the email is taken. */
  insertUser(user: UserWithPassword): Promise<User>
  getUserByEmail(email: string): Promise<UserWithPassword | null>
  getUserById(id: string): Promise<User | null>
  listUsers(): Promise<User[]>

  insertSession(session: Session): Promise<void>
  getSession(id: string): Promise<Session | null>
  extendSession(id: string, expiresAt: number): Promise<void>
  deleteSession(id: string): Promise<void>

  insertApiKey(key: ApiKey & { keyHash: string }): Promise<void>
  getApiKeyByHash(keyHash: string): Promise<ApiKey | null>
  listApiKeys(userId: string): Promise<ApiKey[]>
  /** Revokes once; a second revoke returns the key as it is. Null when unknown or not the user's. */
  revokeApiKey(userId: string, id: string, now: number): Promise<ApiKey | null>
  touchApiKey(id: string, now: number): Promise<void>

  insertMission(mission: Mission): Promise<void>
  listMissions(userId: string): Promise<Mission[]>
  getMission(userId: string, id: string): Promise<Mission | null>

  insertPlan(plan: PlanWithData): Promise<void>
  listPlans(userId: string, missionId?: string): Promise<Plan[]>
  getPlan(userId: string, id: string): Promise<PlanWithData | null>

  insertDeployment(deployment: Omit<Deployment, 'missionName' | 'planLabel'>): Promise<void>
  listDeployments(userId: string, limit: number): Promise<Deployment[]>
  getDeployment(userId: string, id: string): Promise<Deployment | null>
  /** Throws NOT_FOUND, or CONFLICT when the deployment is already terminal. */
  cancelDeployment(userId: string, id: string, now: number): Promise<Deployment>

  /** The checks a report must pass before its body is read: NOT_FOUND, FORBIDDEN, CONFLICT. */
  checkReportable(userId: string, deploymentId: string, reporter: Reporter): Promise<void>
  /**
   * Stores an event and applies the transition it triggers, in one transaction, after the same checks as
   * checkReportable. A retry of a stored event (same identity) stores nothing and returns the first id.
   */
  recordEvent(input: RecordEventInput): Promise<RecordEventResult>
  listEvents(deploymentId: string, page: { offset: number; limit: number }): Promise<StoredEvent[]>
}
