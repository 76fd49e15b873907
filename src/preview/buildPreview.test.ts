import { describe, expect, test } from 'vitest'
import type { ForwardedCallSimulation } from '../chain/simulateForwardedCall.js'
import type { Intent } from '../intents/intent.js'
import type { Decision } from '../policy/decision.js'
import { buildPreview } from './buildPreview.js'

const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const intent: Intent = {
  kind: 'meta-tx',
  chainId: 31337,
  sender: alice,
  calls: [],
  gas: { limit: '260000', maxFeePerGas: '2000000000', maxCostWei: '520000000000000' },
  validUntil: 1_800_000_000,
  nonce: '3',
  requestDigest: `0x${'ab'.repeat(32)}`,
}
const allow: Decision = {
  allow: true,
  reasons: [],
  limits: [
    {
      id: 'sender-count-1d',
      scope: 'sender',
      keyParts: ['inst_x', alice],
      metric: 'count',
      amount: '1',
      max: '1',
      windowSeconds: 86_400,
      windowKind: 'utc-day',
    },
  ],
}
const success: ForwardedCallSimulation = {
  source: 'eth_simulateV1',
  status: 'success',
  gasUsed: 30_000n,
  logs: [
    {
      address: token,
      topics: [
        '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
        `0x000000000000000000000000${alice.slice(2)}`,
        `0x000000000000000000000000${token.slice(2)}`,
      ],
      data: `0x${'0'.repeat(63)}5`,
    },
  ],
}

function preview(overrides: Partial<Parameters<typeof buildPreview>[0]> = {}) {
  return buildPreview({
    intent,
    requestGas: 200_000n,
    decision: allow,
    policy: { revision: 'r1', digest: 'sha256:00' },
    template: { id: 'poll', version: '1.0.0', publisher: 'demo', digest: 'sha256:11', verificationLevel: 2 },
    calls: [],
    simulation: success,
    checks: { deadline: { ok: true } },
    ...overrides,
  })
}

describe('buildPreview', () => {
  test('an allowed request: badge, effects, gas, what the user signs and the limits it would count', () => {
    expect(preview()).toStrictEqual({
      decision: { allow: true, reasons: [] },
      checks: { deadline: { ok: true }, simulation: { ok: true } },
      policy: { revision: 'r1', digest: 'sha256:00' },
      template: {
        id: 'poll',
        version: '1.0.0',
        publisher: 'demo',
        digest: 'sha256:11',
        verificationLevel: 2,
        verificationLevelName: 'audited',
      },
      calls: [],
      effects: {
        source: 'eth_simulateV1',
        status: 'success',
        gasUsed: '30000',
        events: [{ kind: 'transfer', standard: 'erc20', token, from: alice, to: token, amount: '5' }],
        otherLogs: 0,
      },
      gas: {
        requestGas: '200000',
        relayGasLimit: '260000',
        maxFeePerGas: '2000000000',
        maxCostWei: '520000000000000',
      },
      request: {
        digest: intent.requestDigest,
        chainId: 31337,
        sender: alice,
        nonce: '3',
        validUntil: 1_800_000_000,
      },
      limits: [
        {
          id: 'sender-count-1d',
          scope: 'sender',
          metric: 'count',
          amount: '1',
          max: '1',
          windowSeconds: 86_400,
          windowKind: 'utc-day',
        },
      ],
    })
  })

  test("the pipeline's own checks deny as the live pipeline would, before the policy's reasons", () => {
    const answer = preview({
      decision: { allow: false, reasons: [{ code: 'SELECTOR_NOT_ALLOWED', message: 'no' }], limits: [] },
      simulation: {
        source: 'eth_simulateV1',
        status: 'reverted',
        revertReason: 'InvalidOption(9)',
        logs: [],
      },
      checks: {
        deadline: { ok: false, detail: 'deadline 1 <= 2' },
        signature: { ok: false, detail: 'recovers to 0x0 with nonce 3' },
      },
    })
    expect(answer.decision).toStrictEqual({
      allow: false,
      reasons: [
        {
          code: 'REQUEST_SIGNATURE_INVALID',
          message: 'not signed by from for this chain, forwarder and nonce: recovers to 0x0 with nonce 3',
        },
        { code: 'REQUEST_EXPIRED', message: 'deadline 1 <= 2' },
        { code: 'SIMULATION_REVERTED', message: 'InvalidOption(9)' },
        { code: 'SELECTOR_NOT_ALLOWED', message: 'no' },
      ],
    })
    expect(answer.checks.simulation).toStrictEqual({ ok: false, detail: 'InvalidOption(9)' })
    expect(answer.effects).toStrictEqual({
      source: 'eth_simulateV1',
      status: 'reverted',
      revertReason: 'InvalidOption(9)',
      events: [],
      otherLogs: 0,
    })
    expect(answer.limits).toStrictEqual([])
  })

  test('an allowing policy is still a deny when the simulation reverts', () => {
    const simulation: ForwardedCallSimulation = {
      source: 'eth_call',
      status: 'reverted',
      revertReason: 'AlreadyVoted(0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC)',
      fallbackReason: 'the method eth_simulateV1 does not exist',
    }
    const answer = preview({ simulation })
    expect(answer.decision.allow).toBe(false)
    expect(answer.limits).toHaveLength(1)
    // eth_call cannot see logs: events are absent, not an empty list that would read as "none".
    expect(answer.effects).toStrictEqual({
      source: 'eth_call',
      status: 'reverted',
      revertReason: simulation.revertReason,
      fallbackReason: simulation.fallbackReason,
    })
  })
})
