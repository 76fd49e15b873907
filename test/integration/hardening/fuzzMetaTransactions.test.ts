import fc from 'fast-check'
import { type Hex, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunningGateway } from '../../../src/main.js'
import { expectDocumentedError } from '../../support/errorShape.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'

/**
 * 10,000 malformed meta-transactions against a real gateway (real Redis, Anvil, log and policy).
 * Most are refused by the schema; the ones that parse but were signed for another domain go on
 * through normalization (chain reads), signature recovery and an attested refusal. Every answer
 * must be the documented error shape with a catalogued status, and never a 5xx.
 */
const harness = createGatewayHarness()
let gateway: RunningGateway
let token: string
let base: Record<string, unknown>
/** Genuinely signed requests, each for a domain that differs from the forwarder's in one field. */
let wrongDomain: Record<string, unknown>[]

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const fields = ['from', 'to', 'value', 'gas', 'deadline', 'data', 'signature', 'chainId'] as const

beforeAll(async () => {
  gateway = await harness.start()
  token = (await demoInstance(harness, gateway)).token
  const addresses = await fixtureAddresses()
  const user = freshUser()
  const { signForwardRequest } = await import('../../support/forwardRequests.js')
  const sign = (overrides: { signingChainId?: number; forwarder?: Hex }) =>
    signForwardRequest({
      account: user,
      rpcUrl: anvilUrl,
      forwarder: overrides.forwarder ?? addresses.forwarder,
      to: addresses.targets.demoToken,
      data: tokenCall('transfer', [user.address, 1n]),
      nonce: 0n,
      ...(overrides.signingChainId ? { signingChainId: overrides.signingChainId } : {}),
    })
  base = await sign({})
  wrongDomain = await Promise.all([
    sign({ signingChainId: 1 }),
    sign({ signingChainId: 31338 }),
    sign({ forwarder: addresses.targets.demoToken }),
    sign({ forwarder: '0x0000000000000000000000000000000000000001' }),
  ])
})
afterAll(() => harness.stopAll())

const hexOfLength = (bytes: fc.Arbitrary<number>) =>
  bytes.chain((length) =>
    fc.uint8Array({ minLength: length, maxLength: length }).map((value) => toHex(value)),
  )
const word = (value: bigint) => value.toString(16).padStart(64, '0')

/** One malformed body: a mutation of the genuine request, or something that is not one at all. */
const malformedBody: fc.Arbitrary<{ kind: string; body: unknown }> = fc.oneof(
  fc.constantFrom(0, 1, 2, 3).map((index) => ({ kind: 'wrong domain', body: wrongDomain[index] })),
  fc.nat({ max: 3 }).chain((index) =>
    fc.record({ r: fc.bigInt({ min: 1n, max: curveOrder - 1n }) }).map(({ r }) => {
      const signed = wrongDomain[index] as { signature: Hex }
      // The high-s twin of a signature, with v flipped to keep it valid for the curve.
      const s = curveOrder - BigInt(`0x${signed.signature.slice(66, 130)}`)
      const v = signed.signature.endsWith('1b') ? '1c' : '1b'
      return {
        kind: 'high-s',
        body: { ...signed, signature: `0x${word(r)}${word(s)}${v}` },
      }
    }),
  ),
  fc
    .integer({ min: 0, max: 255 })
    .filter((v) => v !== 27 && v !== 28)
    .map((v) => ({
      kind: 'bad v',
      body: {
        ...base,
        signature: `${(base.signature as string).slice(0, 130)}${v.toString(16).padStart(2, '0')}`,
      },
    })),
  fc
    .record({
      field: fc.constantFrom('signature', 'from', 'to', 'data'),
      value: hexOfLength(fc.nat({ max: 80 })),
    })
    .map(({ field, value }) => ({
      kind: 'bad length',
      body: { ...base, [field]: field === 'data' ? `${value}0` : value },
    })),
  fc
    .record({
      r: fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }),
      s: fc.bigInt({ min: 1n, max: curveOrder / 2n }),
    })
    .map(({ r, s }) => ({
      kind: 'random signature',
      body: { ...base, signature: `0x${word(r)}${word(s)}1b` },
    })),
  fc
    .record({ field: fc.constantFrom(...fields), value: fc.jsonValue({ maxDepth: 3 }) })
    .map(({ field, value }) => ({
      kind: 'wrong type',
      body: { ...base, [field]: value },
    })),
  fc
    .record({
      field: fc.constantFrom('value', 'gas', 'deadline', 'chainId'),
      value: fc.oneof(
        fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }).map(String),
        fc.constantFrom('-1', '0x10', '1e3', ' 1', '01', `${1n << 256n}`, `${1n << 48n}`, '0'),
      ),
    })
    .map(({ field, value }) => ({ kind: 'bad number', body: { ...base, [field]: value } })),
  fc.subarray([...fields], { minLength: 1 }).map((dropped) => ({
    kind: 'missing fields',
    body: Object.fromEntries(
      Object.entries(base).filter(([key]) => !dropped.includes(key as (typeof fields)[number])),
    ),
  })),
  fc
    .dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
      minKeys: 1,
      maxKeys: 3,
    })
    .map((extra) => ({ kind: 'extra fields', body: { ...extra, ...base } })),
  fc.jsonValue({ maxDepth: 4 }).map((body) => ({ kind: 'random json', body })),
)

describe('fuzzing POST /v1/meta-transactions', () => {
  test('10,000 malformed requests: never a 5xx, always the documented error', async () => {
    const reached = new Map<string, number>()
    // 625 runs of 16 concurrent requests: 10,000 cases, with the gateway kept busy as in production.
    await fc.assert(
      fc.asyncProperty(fc.array(malformedBody, { minLength: 16, maxLength: 16 }), async (cases) => {
        await Promise.all(
          cases.map(async ({ kind, body }) => {
            const response = await fetch(`${gateway.url}/v1/meta-transactions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            })
            const code = expectDocumentedError(response.status, await response.json())
            reached.set(`${kind} -> ${code}`, (reached.get(`${kind} -> ${code}`) ?? 0) + 1)
          }),
        )
      }),
      { numRuns: 625 },
    )
    expect([...reached.values()].reduce((sum, count) => sum + count, 0)).toBe(10_000)
    const codes = new Set([...reached.keys()].map((key) => key.split(' -> ')[1]))
    // The run reached past the schema: signatures were recovered and refused, not only parsed.
    expect(codes).toContain('INVALID_REQUEST')
    expect(codes).toContain('REQUEST_SIGNATURE_INVALID')
    expect(reached.get('wrong domain -> REQUEST_SIGNATURE_INVALID') ?? 0).toBeGreaterThan(0)
    expect(reached.get('high-s -> INVALID_REQUEST') ?? 0).toBeGreaterThan(0)
    expect(reached.get('bad v -> INVALID_REQUEST') ?? 0).toBeGreaterThan(0)
  }, 300_000)
})
