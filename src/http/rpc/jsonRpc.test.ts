import { describe, expect, test } from 'vitest'
import { IntentGateError } from '../../errors/index.js'
import { approvalRequiredError } from '../../pipeline/holdForApproval.js'
import { jsonRpcCodeOf, jsonRpcErrorOf } from './jsonRpc.js'

describe('jsonRpcErrorOf', () => {
  test('a held request is -33202 with its request id and approval in data, apart from any denial', () => {
    const attestation = { logIndex: 4, envelope: { payload: 'e30=' } }
    const held = approvalRequiredError(
      {
        id: `0x${'ab'.repeat(32)}`,
        attestation,
        approval: { required: 2, approvals: 1, reason: 'value 2 is above 1', expiresAt: 1_900_000_000 },
      },
      [{ code: 'APPROVAL_REQUIRED', message: 'value 2 is above 1' }],
    )
    expect(jsonRpcErrorOf(held, 'req-1')).toStrictEqual({
      code: -33202,
      message: `Held for operator approval: 1 of 2 approvals; ask again once it is approved (request 0x${'ab'.repeat(32)})`,
      data: {
        code: 'APPROVAL_REQUIRED',
        reasons: [{ code: 'APPROVAL_REQUIRED', message: 'value 2 is above 1' }],
        requestId: 'req-1',
        attestation,
        id: `0x${'ab'.repeat(32)}`,
        approval: { required: 2, approvals: 1, reason: 'value 2 is above 1', expiresAt: 1_900_000_000 },
      },
    })
    expect(jsonRpcCodeOf('POLICY_DENIED')).toBe(-33403)
    expect(jsonRpcCodeOf('APPROVAL_REJECTED')).toBe(-33403)
    expect(jsonRpcCodeOf('APPROVAL_EXPIRED')).toBe(-33422)
  })

  test('other errors carry no request id of their own', () => {
    const denied = jsonRpcErrorOf(new IntentGateError('POLICY_DENIED', 'Denied by policy'), undefined)
    expect(denied.data).toStrictEqual({ code: 'POLICY_DENIED' })
  })
})
