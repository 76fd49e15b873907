import { readFile } from 'node:fs/promises'
import type { Redis } from 'ioredis'
import { type Hex, hashTypedData, recoverAddress as viemRecoverAddress } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { buildDecisionStatement, signStatement } from '../src/attest/statements.js'
import { generateSigningKey } from '../src/crypto/ed25519.js'
import { recoverAddress } from '../src/crypto/recoverAddress.js'
import { forwardRequestTypedData, normalizeForwardRequest } from '../src/intents/forwardRequest.js'
import { hashForwardRequest } from '../src/intents/forwardRequestHash.js'
import type { WasmPolicy } from '../src/policy/wasmPolicy.js'
import { secondsPerOp } from './measure.js'

export type MicroResults = {
  /** The gateway's ForwardRequest hash (src/intents/forwardRequestHash.ts), which the hot path uses. */
  typedDataHash: number
  /** viem's general hashTypedData on the same typed data, for comparison; not on the hot path. */
  typedDataHashViem: number
  recoverViem: number
  recoverNative: number
  policyEval: number
  redisRoundTrip: number
  attestationSigning: number
}

/** The one request every microbenchmark works on: a CommunityPoll vote through the fixture forwarder. */
export async function sampleRequest() {
  const account = privateKeyToAccount(generatePrivateKey())
  const request = {
    from: account.address,
    to: '0xdc64a140aa3e981100a9beca4e685f962f0cf6c9' as const,
    value: 0n,
    gas: 200_000n,
    deadline: Math.floor(Date.now() / 1000) + 3_600,
    data: '0x0121b93f0000000000000000000000000000000000000000000000000000000000000001' as Hex,
  }
  const common = {
    request,
    nonce: 0n,
    chainId: 31337,
    forwarder: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const,
  }
  const typedData = forwardRequestTypedData({
    ...common,
    domainName: 'IntentGateForwarder',
    domainVersion: '1',
  })
  const signature = await account.signTypedData(typedData)
  const intent = normalizeForwardRequest({
    ...common,
    domain: { name: 'IntentGateForwarder', version: '1' },
    maxFeePerGas: 2_000_000_000n,
    relayGasLimit: 260_000n,
  })
  return { typedData, signature, intent, hash: hashTypedData(typedData) }
}

/** Seconds per operation of each step the decision path is made of, measured one at a time. */
export async function measureSteps(deps: {
  policy: WasmPolicy
  policyInputFile: string
  redis: Redis
}): Promise<MicroResults> {
  const { typedData, signature, intent, hash } = await sampleRequest()
  const input = JSON.parse(await readFile(deps.policyInputFile, 'utf8')) as Record<string, unknown>
  const key = generateSigningKey()
  const statement = () =>
    buildDecisionStatement({
      requestDigest: intent.requestDigest,
      decision: { allow: true, reasons: [] },
      template: { id: 'community-poll', digest: `sha256:${'0'.repeat(64)}` },
      instance: { id: 'inst_0123456789abcdef' },
      policy: { revision: 'builtin', digest: `sha256:${'1'.repeat(64)}` },
      intent,
      limits: [{ id: 'sender-count', scope: 'sender', metric: 'count', amount: '1' }],
      decidedAt: new Date().toISOString(),
      gateway: { id: 'bench' },
    })
  return {
    typedDataHash: await secondsPerOp(() => hashForwardRequest(typedData)),
    typedDataHashViem: await secondsPerOp(() => hashTypedData(typedData)),
    recoverViem: await secondsPerOp(() => viemRecoverAddress({ hash, signature }), { batch: 10 }),
    recoverNative: await secondsPerOp(() => recoverAddress(hash, signature)),
    policyEval: await secondsPerOp(() => deps.policy.evaluate(input), { batch: 10 }),
    redisRoundTrip: await secondsPerOp(() => deps.redis.ping(), { batch: 10 }),
    attestationSigning: await secondsPerOp(() => signStatement(statement(), key)),
  }
}
