// `export type App` (src/app.ts) for an Eden client: the route's declared answers are its types, checked
// here by the compiler (expectTypeOf) and at run time through app.handle.
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from 'bun:test'
import { treaty } from '@elysiajs/eden'
import type { Static } from '@sinclair/typebox'
import type { App } from '../../src/app'
import type { Deployment, DeploymentPage, ErrorBody, EventPage, Health } from '../../src/http/schemas'
import { createHarness, createTenant, event, type Harness, type Tenant } from '../helpers'

let h: Harness
let a: Tenant
let deploymentId: string
beforeAll(async () => {
  h = createHarness()
  a = await createTenant(h)
  deploymentId = await a.createDeployment('live')
})
afterAll(() => h.close())

describe('an Eden client of export type App', () => {
  test('reads a deployment with the declared type', async () => {
    const api = treaty<App>(h.app, { headers: a.asKey })
    const { data, error, status } = await api.api.deployments({ id: deploymentId }).get()
    expectTypeOf(data!).toEqualTypeOf<Static<typeof Deployment>>()
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data!.id).toBe(deploymentId)
    expect(data!.mode).toBe('live')
    // @ts-expect-error: a field the declared shape does not have is a compile error, so the type is not `any`
    expect(data!.no_such_field).toBeUndefined()
  })

  test('lists deployments and events with the declared types', async () => {
    const api = treaty<App>(h.app, { headers: a.asKey })
    const list = await api.api.deployments.get()
    expectTypeOf(list.data!).toEqualTypeOf<Static<typeof DeploymentPage>>()
    expect(list.data!.deployments.map((d) => d.id)).toContain(deploymentId)
    const agent = treaty<App>(h.app, { headers: a.asAgent })
    const reported = await agent.api.deployments({ id: deploymentId }).events.post(event('job.accepted'))
    expect(reported.status).toBe(201)
    expectTypeOf(reported.data!).toEqualTypeOf<{ id: string }>()
    const events = await api.api.deployments({ id: deploymentId }).events.get()
    expectTypeOf(events.data!).toEqualTypeOf<Static<typeof EventPage>>()
    expect(events.data!.events.map((e) => e.id)).toEqual([reported.data!.id])
  })

  test('errors carry the declared error body', async () => {
    const api = treaty<App>(h.app, { headers: a.asKey })
    const { data, error } = await api.api.deployments({ id: 'dep-unknown' }).get()
    expect(data).toBeNull()
    expect(error!.status).toBe(404)
    if (error!.status === 404) {
      expectTypeOf(error!.value).toEqualTypeOf<Static<typeof ErrorBody>>()
      expect(error!.value.code).toBe('NOT_FOUND')
    }
  })

  test('health needs no credentials', async () => {
    const { data } = await treaty<App>(h.app).healthz.get()
    expectTypeOf(data!).toEqualTypeOf<Static<typeof Health>>()
    expect(data!.ok).toBe(true)
  })
})
