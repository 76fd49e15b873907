import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { predicateTypes } from '../../../src/attest/statementSchemas.js'
import type { RunningGateway } from '../../../src/main.js'
import { openRedis } from '../../support/redisClient.js'
import { demoInstance, freshUser } from '../pipeline/metaTxSetup.js'
import { approve, createApprovalHarness, heldAbove, reject, submitTokenApproval } from './approvalSetup.js'

const { harness, env, people } = createApprovalHarness()
let gateway: RunningGateway

beforeAll(async () => {
  gateway = await harness.start(env)
})
afterAll(() => harness.stopAll())

/** The admin actions stream, each entry as its fields. */
async function adminActions(): Promise<Record<string, string | undefined>[]> {
  const { redis } = await openRedis()
  try {
    const entries = await redis.xrange(`${harness.keyPrefix}admin:actions`, '-', '+')
    return entries.map(([, fields]) =>
      Object.fromEntries(fields.flatMap((value, index, all) => (index % 2 ? [] : [[value, all[index + 1]]]))),
    )
  } finally {
    redis.disconnect()
  }
}

async function heldRequestId(): Promise<string> {
  const { token } = await demoInstance(harness, gateway, { intent: heldAbove('10', 2) })
  const { answer } = await submitTokenApproval(gateway, token, { user: freshUser(), amount: 11n })
  expect(answer.body.status).toBe('awaiting_approval')
  return String(answer.body.id)
}

/** The predicate types of every statement in the gateway's log, in order. */
async function loggedTypes(): Promise<string[]> {
  const size = gateway.services.log.size()
  const types: string[] = []
  for (let index = 0; index < size; index++)
    types.push((await gateway.services.audit.entry(index)).statement.predicateType)
  return types
}

describe('approval events in the admin actions trail', () => {
  test('each counted approval and each rejection is an admin action naming its approval attestation', async () => {
    const approved = await heldRequestId()
    const rejected = await heldRequestId()
    const adminAttestations = (await loggedTypes()).filter((type) => type === predicateTypes.adminAction)

    expect((await approve(gateway, approved, people.bob)).status).toBe(200)
    // Neither a refused approval (the submitter) nor one counted already is an action.
    expect((await approve(gateway, approved, people.alice)).status).toBe(403)
    expect((await approve(gateway, approved, people.bob)).body.counted).toBe(false)
    expect((await approve(gateway, approved, people.dave)).body.approval).toMatchObject({
      status: 'approved',
    })
    expect((await reject(gateway, rejected, people.erin, 'needs a ticket')).status).toBe(200)

    const actions = (await adminActions()).filter(
      (action) => action.target === approved || action.target === rejected,
    )
    expect(actions.map(({ actor, role, action, target }) => ({ actor, role, action, target }))).toStrictEqual(
      [
        { actor: 'bob', role: 'operator', action: 'approval.approve', target: approved },
        { actor: 'dave', role: 'operator', action: 'approval.approve', target: approved },
        { actor: 'erin', role: 'operator', action: 'approval.reject', target: rejected },
      ],
    )
    expect(JSON.parse(actions[0]?.detail ?? '')).toStrictEqual({
      approvals: 1,
      required: 2,
      status: 'pending',
    })
    expect(JSON.parse(actions[1]?.detail ?? '')).toStrictEqual({
      approvals: 2,
      required: 2,
      status: 'approved',
    })
    expect(JSON.parse(actions[2]?.detail ?? '')).toStrictEqual({ reason: 'needs a ticket' })

    // Each points at the approval/v1 statement that attests it, which names the same operator.
    for (const action of actions) {
      const { statement } = await gateway.services.audit.entry(Number(action.logIndex))
      expect(statement.predicateType).toBe(predicateTypes.approval)
      expect(statement.predicate).toMatchObject({
        action: action.action === 'approval.approve' ? 'approve' : 'reject',
        actor: { name: action.actor },
      })
    }
    // Attested once, as approval events: no admin-action statement was added for them.
    expect((await loggedTypes()).filter((type) => type === predicateTypes.adminAction)).toStrictEqual(
      adminAttestations,
    )
  })

  test('other admin actions name their own admin-action attestation', async () => {
    await demoInstance(harness, gateway)
    const publish = (await adminActions()).findLast((action) => action.action === 'template.publish')
    const { statement } = await gateway.services.audit.entry(Number(publish?.logIndex))
    expect(statement.predicateType).toBe(predicateTypes.adminAction)
    expect(statement.predicate).toMatchObject({ action: 'template.publish', target: publish?.target })
  })
})
