import { fileURLToPath } from 'node:url'
import type { Address } from 'viem'
import { beforeAll, describe, expect, test } from 'vitest'
import type { DecodedCall, Intent, IntentCall } from '../intents/intent.js'
import type { ResolvedIntent } from '../templates/resolveInstanceIntent.js'
import { buildPolicyInput, type PolicyTemplate } from './buildPolicyInput.js'
import { loadWasmPolicyFromFile, type WasmPolicy } from './wasmPolicy.js'

const vote = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const token = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'
const sender = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const alice = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const now = 1_767_225_600

const voteCall: IntentCall = {
  path: '0',
  depth: 0,
  role: 'call',
  to: vote,
  value: '0',
  selector: '0x0121b93f',
  dataHash: `0x${'ab'.repeat(32)}`,
  dataLength: 36,
}

const transferCall: IntentCall = {
  ...voteCall,
  path: '1',
  to: token,
  selector: '0xa9059cbb',
  dataLength: 68,
  decoded: { standard: 'erc20', function: 'transfer', args: { to: alice, amount: '1000' } },
}

const intent: Intent = {
  kind: 'meta-tx',
  chainId: 8453,
  sender,
  calls: [voteCall, transferCall],
  gas: { limit: '200000', maxFeePerGas: '1000000000', maxCostWei: '200000000000000' },
  validUntil: now + 600,
  nonce: '0',
  requestDigest: `0x${'cd'.repeat(32)}`,
}

const resolvedIntent: ResolvedIntent = {
  chains: [8453],
  calls: [
    {
      to: vote,
      maxValueWei: '0',
      functions: [{ signature: 'vote(uint256)', selector: '0x0121b93f', description: 'Vote for {0}' }],
    },
    {
      to: token,
      maxValueWei: '0',
      functions: [{ signature: 'transfer(address,uint256)', selector: '0xa9059cbb', maxValueWei: '0' }],
    },
  ],
  tokenCaps: [{ token, maxTransferAmount: '1000' }],
  maxTxValueWei: '0',
  limits: [
    {
      id: 'sender-count-1d',
      scope: 'sender',
      metric: 'count',
      window: '1d',
      windowKind: 'utc-day',
      windowSeconds: 86_400,
      max: '50',
    },
  ],
  gas: { maxGasLimit: '500000', maxFeePerGasWei: '50000000000', maxCostWei: '25000000000000000' },
}

const template: PolicyTemplate = {
  id: 'community-poll',
  digest: `sha256:${'12'.repeat(32)}`,
  verificationLevel: 2,
  capabilities: ['relay:meta-tx'],
  intent: resolvedIntent,
}

const parameters = { intent, template, instance: { id: 'inst-01' }, now }

describe('buildPolicyInput', () => {
  test('builds {intent, template, instance, now} with every field as given', () => {
    expect(buildPolicyInput(parameters)).toEqual({
      intent,
      template: { ...template, capabilities: ['relay:meta-tx'] },
      instance: { id: 'inst-01' },
      now,
    })
  })

  test('is plain JSON: it survives a round trip unchanged', () => {
    const document = buildPolicyInput(parameters)
    expect(JSON.parse(JSON.stringify(document))).toStrictEqual(document)
  })

  test('leaves out what the records carry beyond the documented fields', () => {
    const document = buildPolicyInput({
      ...parameters,
      intent: { ...intent, calls: [{ ...voteCall, note: 'debug' } as IntentCall] },
      template: { ...template, status: 'active', params: { poll: vote } } as PolicyTemplate,
      instance: { id: 'inst-01', status: 'active' } as { id: string },
    })
    expect(Object.keys(document.template).sort()).toEqual([
      'capabilities',
      'digest',
      'id',
      'intent',
      'verificationLevel',
    ])
    expect(document.instance).toStrictEqual({ id: 'inst-01' })
    expect(document.intent.calls[0]).toStrictEqual(voteCall)
  })

  test('writes no key for an optional field that is absent', () => {
    const { maxTxValueWei: _, ...withoutTxCap } = resolvedIntent
    const document = buildPolicyInput({ ...parameters, template: { ...template, intent: withoutTxCap } })
    expect('maxTxValueWei' in document.template.intent).toBe(false)
    expect('decoded' in (document.intent.calls[0] ?? {})).toBe(false)
    expect('opaque' in (document.intent.calls[0] ?? {})).toBe(false)
    expect('description' in (document.template.intent.calls[1]?.functions[0] ?? {})).toBe(false)
    expect('maxApproveAmount' in (document.template.intent.tokenCaps[0] ?? {})).toBe(false)
  })

  test('copies, so changing the document never changes the records', () => {
    const document = buildPolicyInput(parameters)
    document.intent.calls.pop()
    document.template.intent.chains.push(1)
    document.template.capabilities.push('sponsor:user-op')
    expect(intent.calls).toHaveLength(2)
    expect(resolvedIntent.chains).toEqual([8453])
    expect(template.capabilities).toEqual(['relay:meta-tx'])
  })
})

// Every decoded call the normalizers produce, as the policy expects to read it.
const decodedCalls: DecodedCall[] = [
  { standard: 'erc20', function: 'transfer', args: { to: alice, amount: '1' } },
  { standard: 'erc20', function: 'approve', args: { spender: alice, amount: '1' } },
  { standard: 'erc20-or-erc721', function: 'transferFrom', args: { from: sender, to: alice, amount: '1' } },
  { standard: 'erc721', function: 'safeTransferFrom', args: { from: sender, to: alice, tokenId: '7' } },
  { standard: 'erc721-or-erc1155', function: 'setApprovalForAll', args: { operator: alice, approved: true } },
  {
    standard: 'erc1155',
    function: 'safeTransferFrom',
    args: { from: sender, to: alice, id: '7', amount: '2' },
  },
  {
    standard: 'erc1155',
    function: 'safeBatchTransferFrom',
    args: { from: sender, to: alice, ids: ['7', '8'], amounts: ['2', '3'] },
  },
]

describe('the committed policy reads what buildPolicyInput builds', () => {
  let policy: WasmPolicy

  beforeAll(async () => {
    const build = (name: string) => fileURLToPath(new URL(`../../policies/build/${name}`, import.meta.url))
    policy = await loadWasmPolicyFromFile(build('policy.wasm'), {
      revision: 'committed',
      dataPath: build('data.json'),
    })
  })

  test('allows the request and derives its limits', () => {
    expect(policy.evaluate(buildPolicyInput(parameters))).toEqual({
      allow: true,
      reasons: [],
      limits: [
        {
          id: 'sender-count-1d',
          scope: 'sender',
          keyParts: ['inst-01', sender.toLowerCase()],
          metric: 'count',
          amount: '1',
          max: '50',
          windowSeconds: 86_400,
          windowKind: 'utc-day',
        },
      ],
    })
  })

  test.each(decodedCalls.map((decoded) => [`${decoded.standard} ${decoded.function}`, decoded]))(
    'finds a decoded %s well formed',
    (_, decoded) => {
      const calls = [{ ...transferCall, decoded }]
      const decision = policy.evaluate(buildPolicyInput({ ...parameters, intent: { ...intent, calls } }))
      expect(decision.reasons.filter((reason) => reason.code === 'INPUT_INVALID')).toEqual([])
    },
  )

  test('holds a transfer above the template approvals threshold for the operators', () => {
    const approvals = { required: 2, tokenAmountsAbove: [{ token: token as Address, amount: '999' }] }
    const held = { ...template, intent: { ...resolvedIntent, approvals } }
    const input = buildPolicyInput({ ...parameters, template: held })
    expect(input.template.intent.approvals).toStrictEqual(approvals)
    expect(input.template.intent.approvals).not.toBe(approvals)
    const decision = policy.evaluate(input)
    expect(decision).toMatchObject({ allow: false, approvals: { required: 2 } })
    expect(decision.reasons.map((reason) => reason.code)).toEqual(['APPROVAL_REQUIRED'])
    expect(decision.limits).toHaveLength(1)
  })

  test('denies an opaque call it is given', () => {
    const calls = [{ ...voteCall, opaque: { reason: 'unknown selector' } }]
    const decision = policy.evaluate(buildPolicyInput({ ...parameters, intent: { ...intent, calls } }))
    expect(decision.reasons).toEqual([
      { code: 'CALL_OPAQUE', message: `call 0 to ${vote} could not be decoded: unknown selector` },
    ])
  })
})
