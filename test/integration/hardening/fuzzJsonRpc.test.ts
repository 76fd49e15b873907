import fc from 'fast-check'
import { encodeFunctionData, numberToHex, toHex } from 'viem'
import { formatUserOperationRequest } from 'viem/account-abstraction'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { errorCatalogue } from '../../../src/errors/index.js'
import {
  smartAccountClient,
  sponsoredInstance,
  startUserOpEnvironment,
  type UserOpEnvironment,
} from '../userOps/userOpEnvironment.js'

/**
 * 10,000 malformed JSON-RPC calls against a real gateway at POST /rpc, with the real Alto behind
 * it and a private Anvil: broken frames, wrong params, and user operations malformed field by
 * field or well formed but calling what they should not (those go on through decoding,
 * simulation, the policy and an attested refusal). Every answer must be HTTP 200 (204 for
 * notifications) carrying the JSON-RPC error shape with a catalogued code in `data`, never a
 * 5xx-class code, never an internal error.
 */
let environment: UserOpEnvironment
let token: string
/** Unsigned ops of fresh accounts in the JSON-RPC form, as clients send them to the paymaster. */
let baseOps: Record<string, unknown>[]

beforeAll(async () => {
  environment = await startUserOpEnvironment()
  ;({ token } = await sponsoredInstance(environment, []))
  const poll = environment.chain.addresses.targets.communityPoll
  const vote = (option: bigint) =>
    encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })
  const fees = await environment.chain.publicClient.estimateFeesPerGas()
  baseOps = await Promise.all(
    [1n, 2n, 99n].map(async (option) => {
      const { account } = await smartAccountClient(environment, { token })
      return formatUserOperationRequest({
        sender: account.address,
        nonce: await account.getNonce(),
        ...(await account.getFactoryArgs()),
        callData: await account.encodeCalls([{ to: poll, data: vote(option) }]),
        callGasLimit: 200_000n,
        verificationGasLimit: 500_000n,
        preVerificationGas: 80_000n,
        maxFeePerGas: fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        paymaster: environment.chain.addresses.paymaster,
        paymasterVerificationGasLimit: 80_000n,
        paymasterPostOpGasLimit: 40_000n,
        paymasterData: '0x',
        signature: await account.getStubSignature(),
      }) as Record<string, unknown>
    }),
  )
}, 120_000)
afterAll(() => environment?.stop())

const userOpFields = [
  'sender',
  'nonce',
  'factory',
  'factoryData',
  'callData',
  'callGasLimit',
  'verificationGasLimit',
  'preVerificationGas',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'paymaster',
  'paymasterVerificationGasLimit',
  'paymasterPostOpGasLimit',
  'paymasterData',
  'signature',
] as const
const quantityFields = [
  'nonce',
  'callGasLimit',
  'verificationGasLimit',
  'preVerificationGas',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'paymasterVerificationGasLimit',
  'paymasterPostOpGasLimit',
] as const
const methods = [
  'pm_getPaymasterStubData',
  'pm_getPaymasterData',
  'eth_sendUserOperation',
  'eth_estimateUserOperationGas',
  'eth_getUserOperationReceipt',
  'eth_getUserOperationByHash',
  'eth_chainId',
  'eth_supportedEntryPoints',
] as const

const hexBytes = (maxLength: number) =>
  fc.uint8Array({ minLength: 0, maxLength }).map((bytes) => toHex(bytes))
const base = fc.nat({ max: 2 }).map((index) => baseOps[index] as Record<string, unknown>)

/** A user operation broken in one way, or a well-formed one that asks for something it should not. */
const malformedUserOp: fc.Arbitrary<{ kind: string; op: unknown }> = fc.oneof(
  fc
    .record({ op: base, field: fc.constantFrom(...userOpFields), value: fc.jsonValue({ maxDepth: 2 }) })
    .map(({ op, field, value }) => ({ kind: 'wrong type', op: { ...op, [field]: value } })),
  fc
    .record({
      op: base,
      field: fc.constantFrom('sender', 'factory', 'paymaster', 'callData', 'factoryData', 'signature'),
      value: hexBytes(70),
    })
    .map(({ op, field, value }) => ({
      kind: 'bad length',
      op: { ...op, [field]: `${value}${field === 'callData' ? '1' : ''}` },
    })),
  fc
    .record({
      op: base,
      field: fc.constantFrom(...quantityFields),
      value: fc.oneof(
        fc.bigInt({ min: 0n, max: 1n << 300n }).map((value) => numberToHex(value)),
        fc.constantFrom('0x', '0x00', '-0x1', '1', '0xg', ' 0x1', '0X1', `0x${'f'.repeat(65)}`),
      ),
    })
    .map(({ op, field, value }) => ({ kind: 'bad quantity', op: { ...op, [field]: value } })),
  fc
    .record({ op: base, dropped: fc.subarray([...userOpFields], { minLength: 1, maxLength: 4 }) })
    .map(({ op, dropped }) => ({
      kind: 'missing fields',
      op: Object.fromEntries(Object.entries(op).filter(([key]) => !dropped.includes(key as never))),
    })),
  fc
    .record({
      op: base,
      field: fc.constantFrom('initCode', 'paymasterAndData', 'x', '__proto__', 'constructor'),
      value: fc.jsonValue({ maxDepth: 1 }),
    })
    .map(({ op, field, value }) => ({ kind: 'extra field', op: { ...op, [field]: value } })),
  base.map((op) => {
    const { paymaster: _paymaster, ...rest } = op
    return { kind: 'paymaster fields without paymaster', op: rest }
  }),
  fc
    .record({ op: base, callData: hexBytes(300) })
    .map(({ op, callData }) => ({ kind: 'random callData', op: { ...op, callData } })),
  fc
    .record({
      op: base,
      selector: fc.constantFrom('0xb61d27f6', '0x47e1da2a', '0x34fcd5be'),
      args: hexBytes(200),
    })
    .map(({ op, selector, args }) => ({
      kind: 'account call with garbage args',
      op: { ...op, callData: `${selector}${args.slice(2)}` },
    })),
  fc
    .record({ op: base, paymasterData: hexBytes(120) })
    .map(({ op, paymasterData }) => ({ kind: 'forged paymasterData', op: { ...op, paymasterData } })),
  base.map((op) => ({ kind: 'as built', op })),
  fc.jsonValue({ maxDepth: 3 }).map((op) => ({ kind: 'random json', op })),
)

const entryPoint = () => environment.chain.addresses.entryPoint
const chainIdHex = () => numberToHex(environment.chain.addresses.chainId)

/** Params of the method: mostly its own shape around a malformed op, sometimes broken themselves. */
const paramsFor = (method: (typeof methods)[number]): fc.Arbitrary<{ kind: string; params: unknown }> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: malformedUserOp.map(({ kind, op }) => ({ kind, params: shapedParams(method, op) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          op: malformedUserOp,
          chainId: fc.oneof(
            fc.constantFrom('0x1', '0x', '0x7a69', 'abc', `0x${'f'.repeat(20)}`),
            fc.jsonValue({ maxDepth: 1 }),
          ),
        })
        .map(({ op, chainId }) => ({ kind: 'wrong chain id', params: [op.op, entryPoint(), chainId] })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({
          op: base,
          entryPoint: fc.oneof(hexBytes(24), fc.constantFrom('0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789')),
        })
        .map(({ op, entryPoint: other }) => ({
          kind: 'other entry point',
          params: [op, other, chainIdHex()],
        })),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: base, context: fc.jsonValue({ maxDepth: 2 }) }).map(({ op, context }) => ({
        kind: 'bad context',
        params: [op, entryPoint(), chainIdHex(), context],
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 6 }))
        .map((params) => ({ kind: 'random params', params })),
    },
  )

function shapedParams(method: (typeof methods)[number], op: unknown): unknown[] {
  switch (method) {
    case 'pm_getPaymasterStubData':
    case 'pm_getPaymasterData':
      return [op, entryPoint(), chainIdHex(), null]
    case 'eth_sendUserOperation':
    case 'eth_estimateUserOperationGas':
      return [op, entryPoint()]
    case 'eth_getUserOperationReceipt':
    case 'eth_getUserOperationByHash':
      return [typeof op === 'object' && op !== null ? (op as { callData?: unknown }).callData : op]
    default:
      return []
  }
}

type Call = { kind: string; body: unknown; withToken: boolean }

const oneCall: fc.Arbitrary<Call> = fc
  .record({
    method: fc.constantFrom(...methods),
    id: fc.oneof(fc.nat(), fc.string({ maxLength: 8 })),
    withToken: fc.boolean(),
  })
  .chain(({ method, id, withToken }) =>
    paramsFor(method).map(({ kind, params }) => ({
      kind: `${method}: ${kind}`,
      body: { jsonrpc: '2.0', id, method, params },
      withToken,
    })),
  )

/** Frames that are not a valid call at all, batches, and notifications. */
const call: fc.Arbitrary<Call> = fc.oneof(
  { weight: 8, arbitrary: oneCall },
  {
    weight: 1,
    arbitrary: fc.array(oneCall, { minLength: 1, maxLength: 3 }).map((calls) => ({
      kind: 'batch',
      body: calls.map((entry) => entry.body),
      withToken: true,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record({
          jsonrpc: fc.constantFrom('1.0', 2, '2.0'),
          method: fc.jsonValue({ maxDepth: 1 }),
          id: fc.jsonValue({ maxDepth: 1 }),
        }),
        fc.constant([]),
      )
      .map((body) => ({ kind: 'bad frame', body, withToken: false })),
  },
)

type RpcAnswer = {
  jsonrpc?: unknown
  id?: unknown
  result?: unknown
  error?: { code?: unknown; message?: unknown; data?: { code?: unknown } }
}

/** Checks one JSON-RPC answer is the documented shape; returns its stable code, or 'result'. */
function expectDocumentedAnswer(answer: RpcAnswer, shown: string): string {
  expect(answer.jsonrpc, shown).toBe('2.0')
  expect('id' in answer, shown).toBe(true)
  if (!answer.error) {
    expect('result' in answer, shown).toBe(true)
    return 'result'
  }
  const { code, message, data } = answer.error
  expect(Number.isInteger(code), shown).toBe(true)
  expect(typeof message, shown).toBe('string')
  const stable = data?.code as keyof typeof errorCatalogue
  expect(errorCatalogue[stable], shown).toBeDefined()
  const status = errorCatalogue[stable].status
  // A 5xx-class code is a bug, or a dependency down: neither may happen while everything runs.
  expect(status, shown).toBeLessThan(500)
  if (stable === 'INVALID_REQUEST') expect([-32700, -32600, -32602], shown).toContain(code)
  else if (stable === 'NOT_FOUND') expect(code, shown).toBe(-32601)
  else if (stable === 'BUNDLER_REJECTED') expect(code as number, shown).toBeGreaterThanOrEqual(-32699)
  else expect(code, shown).toBe(-33000 - status)
  return stable
}

describe('fuzzing POST /rpc with malformed user operations', () => {
  test('10,000 calls: never a 5xx, always the JSON-RPC error shape with a catalogued code in data', async () => {
    const reached = new Map<string, number>()
    const note = (key: string) => reached.set(key, (reached.get(key) ?? 0) + 1)
    let cases = 0
    // 625 runs of 16 concurrent calls, as in the meta-transaction fuzzing.
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 16, maxLength: 16 }), async (calls) => {
        await Promise.all(
          calls.map(async ({ kind, body, withToken }) => {
            const response = await fetch(`${environment.gateway.url}/rpc`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                ...(withToken ? { authorization: `Bearer ${token}` } : {}),
              },
              body: JSON.stringify(body),
            })
            cases++
            const text = await response.text()
            const shown = `${kind}: ${response.status} ${text.slice(0, 400)}`
            expect([200, 204], shown).toContain(response.status)
            if (response.status === 204) return note(`${kind} -> notification`)
            const answer = JSON.parse(text) as RpcAnswer | RpcAnswer[]
            for (const one of Array.isArray(answer) ? answer : [answer]) {
              note(`${kind.split(':')[1]?.trim() ?? kind} -> ${expectDocumentedAnswer(one, shown)}`)
            }
          }),
        )
      }),
      { numRuns: 625, seed: 9_0005 },
    )
    expect(cases).toBe(10_000)
    const codes = new Set([...reached.keys()].map((key) => key.split(' -> ')[1]))
    // The run went past the schema: ops were decoded, simulated, decided and their refusals attested.
    expect(codes).toContain('INVALID_REQUEST')
    expect(codes).toContain('UNAUTHENTICATED')
    expect(codes).toContain('SIMULATION_REVERTED')
    expect(codes).toContain('SPONSORSHIP_INVALID')
    expect(codes).toContain('ENTRY_POINT_NOT_SUPPORTED')
    expect(codes).toContain('POLICY_DENIED')
    expect(codes).toContain('BUNDLER_REJECTED')
  }, 600_000)
})
