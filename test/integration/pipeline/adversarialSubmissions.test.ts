import { encodeFunctionData, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import {
  anvilUrl,
  attestationOf,
  demoInstance,
  fixtureAddresses,
  freshUser,
  statementOf,
} from './metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let token: string
let addresses: Awaited<ReturnType<typeof fixtureAddresses>>
const secp256k1Order = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

beforeAll(async () => {
  gateway = await harness.start()
  addresses = await fixtureAddresses()
  token = (await demoInstance(harness, gateway)).token
})
afterAll(() => harness.stopAll())

const submit = (body: unknown, bearer = token) =>
  callJson(gateway.url, 'POST', '/v1/meta-transactions', { bearer, body })
const vote = (option: bigint) =>
  encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [option] })
const sign = (options: Partial<Parameters<typeof signForwardRequest>[0]> = {}) =>
  signForwardRequest({
    account: freshUser(),
    rpcUrl: anvilUrl,
    forwarder: addresses.forwarder,
    to: addresses.targets.communityPoll,
    data: vote(1n),
    ...options,
  })

/** The high-s twin of a signature: the same signer recovers from it, but the forwarder refuses it. */
function highS(signature: Hex): Hex {
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  const flipped = (secp256k1Order - s).toString(16).padStart(64, '0')
  return `${signature.slice(0, 66)}${flipped}${(v === 27 ? 28 : 27).toString(16)}` as Hex
}

describe('adversarial submissions', () => {
  test('two copies of one request racing get one approval, and a second request for the same nonce is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const user = freshUser()
      const first = await sign({ account: user })
      const [a, b] = await Promise.all([submit(first), submit(first)])
      expect([a.status, b.status]).toStrictEqual([202, 202])
      expect(a.body.id).toBe(b.body.id)
      const second = await submit(await sign({ account: user, data: vote(2n) }))
      expect({ status: second.status, code: second.body.error?.code }).toStrictEqual({
        status: 409,
        code: 'NONCE_CONFLICT',
      })
    }
  })

  test("knowing a request's fields is not enough to pin a refusal on it, even from another instance", async () => {
    const other = await demoInstance(harness, gateway)
    const user = freshUser()
    const real = await sign({ account: user })
    const garbage = await sign({ account: freshUser() })
    const forged = await submit({ ...real, signature: garbage.signature }, other.token)
    expect(forged.body.error?.code).toBe('REQUEST_SIGNATURE_INVALID')
    expect((await submit(real)).status).toBe(202)
  })

  test('a high-s twin of a valid signature is refused as malformed and does not block the real one', async () => {
    const real = await sign()
    const twin = await submit({ ...real, signature: highS(real.signature) })
    expect(twin.status).toBe(400)
    expect(twin.body.error?.message).toContain('lower half of the curve order')
    expect((await submit(real)).status).toBe(202)
  })

  test('a gas limit the node refuses to simulate is an attested refusal, not a 500', async () => {
    const response = await submit(await sign({ gas: 2n ** 70n }))
    expect(response.status).toBe(422)
    expect(response.body.error?.code).toBe('SIMULATION_REVERTED')
    expect(statementOf(attestationOf(response).envelope).predicate.decision.allow).toBe(false)
  })

  test('calldata padding counts toward the gas caps: the whole relay transaction is what the gateway pays for', async () => {
    const padded = `${vote(1n)}${'ab'.repeat(28_000)}` as Hex
    const response = await submit(await sign({ data: padded, gas: 60_000n }))
    expect(response.status).toBe(403)
    const codes = response.body.error?.reasons?.map((reason) => reason.code)
    expect(codes).toContain('GAS_LIMIT_OVER_CAP')
    const { predicate } = statementOf(attestationOf(response).envelope) as unknown as {
      predicate: { intent: { gas: { limit: string } } }
    }
    expect(BigInt(predicate.intent.gas.limit)).toBeGreaterThan(500_000n)
  })
})
