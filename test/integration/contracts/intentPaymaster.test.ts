import {
  decodeErrorResult,
  type Hex,
  parseEventLogs,
  parseSignature,
  serializeCompactSignature,
  signatureToCompactSignature,
} from 'viem'
import { toPackedUserOperation } from 'viem/account-abstraction'
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anvilDevAccounts, fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import { entryPointAbi } from '../../../src/chain/artifacts/EntryPoint.js'
import { intentPaymasterAbi } from '../../../src/chain/artifacts/IntentPaymaster.js'
import {
  decodePaymasterData,
  encodePaymasterData,
  hashSponsoredUserOperation,
  type Sponsorship,
  signPaymasterData,
} from '../../../src/sponsor/paymasterData.js'
import {
  accountOwner,
  buildVoteOperation,
  type FixtureChain,
  handleOps,
  handleOpsRevert,
  revertOf,
  signAsAccount,
  startFixtureChain,
  type UnsignedUserOperation,
} from './userOperationHarness.js'

const paymasterSigner = privateKeyToAccount(fixtureAccounts.paymasterSigner.privateKey)
const stranger = privateKeyToAccount(anvilDevAccounts[2].privateKey)
const decisionDigest: Hex = `0x${'d1'.repeat(32)}`

let harness: FixtureChain
let now: number
let nextSalt = 1n

beforeAll(async () => {
  harness = await startFixtureChain()
  now = Number((await harness.publicClient.getBlock()).timestamp)
})
afterAll(async () => {
  await harness?.anvil.stop()
})

function window(overrides: Partial<Sponsorship> = {}): Sponsorship {
  return { validUntil: now + 3_600, validAfter: now - 60, decisionDigest, ...overrides }
}

/** Signs paymasterData for `operation` as `signer` (the fixture signer by default) on `chainId`. */
async function sponsor(
  operation: UnsignedUserOperation,
  options: { signer?: PrivateKeyAccount; chainId?: number; sponsorship?: Sponsorship } = {},
): Promise<UnsignedUserOperation> {
  const paymasterData = await signPaymasterData({
    signer: options.signer ?? paymasterSigner,
    chainId: options.chainId ?? harness.addresses.chainId,
    paymaster: harness.addresses.paymaster,
    userOperation: operation,
    ...(options.sponsorship ?? window()),
  })
  return { ...operation, paymasterData }
}

async function freshVote(option = 1n) {
  return buildVoteOperation(harness, { salt: nextSalt++, option })
}

async function expectFailedOp(operation: UnsignedUserOperation, reason: string) {
  const { packed } = await signAsAccount(harness, operation)
  expect(await handleOpsRevert(harness, packed)).toStrictEqual({ errorName: 'FailedOp', args: [0n, reason] })
}

describe('IntentPaymaster.getHash', () => {
  it('equals hashSponsoredUserOperation, with and without initCode', async () => {
    const withInitCode = await freshVote()
    const withoutInitCode = await buildVoteOperation(harness, {
      salt: 999n,
      option: 0n,
      nonce: 5n,
      deploy: false,
    })
    for (const operation of [withInitCode, withoutInitCode]) {
      const sponsorship = window({ validAfter: 0, decisionDigest: `0x${'ee'.repeat(32)}` })
      const onChain = await harness.publicClient.readContract({
        address: harness.addresses.paymaster,
        abi: intentPaymasterAbi,
        functionName: 'getHash',
        args: [
          toPackedUserOperation(operation),
          sponsorship.validUntil,
          sponsorship.validAfter,
          sponsorship.decisionDigest,
        ],
      })
      const offChain = hashSponsoredUserOperation({
        chainId: harness.addresses.chainId,
        paymaster: harness.addresses.paymaster,
        userOperation: operation,
        ...sponsorship,
      })
      expect(onChain).toBe(offChain)
    }
  })

  it('parses paymasterAndData the way decodePaymasterData does', async () => {
    const sponsored = await sponsor(await freshVote())
    const parsed = await harness.publicClient.readContract({
      address: harness.addresses.paymaster,
      abi: intentPaymasterAbi,
      functionName: 'parsePaymasterAndData',
      args: [toPackedUserOperation(sponsored).paymasterAndData],
    })
    const {
      validUntil,
      validAfter,
      decisionDigest: digest,
      signature,
    } = decodePaymasterData(sponsored.paymasterData ?? '0x')
    expect(parsed).toStrictEqual([validUntil, validAfter, digest, signature])
  })
})

describe('IntentPaymaster through EntryPoint.handleOps', () => {
  it('sponsors a signed operation and links it to the decision digest', async () => {
    const sponsored = await sponsor(await freshVote(2n))
    const { packed, userOpHash } = await signAsAccount(harness, sponsored)
    const depositBefore = await paymasterDeposit()

    const receipt = await handleOps(harness, packed)

    const [opEvent] = parseEventLogs({
      abi: entryPointAbi,
      eventName: 'UserOperationEvent',
      logs: receipt.logs,
    })
    const [sponsoredEvent] = parseEventLogs({
      abi: intentPaymasterAbi,
      eventName: 'UserOperationSponsored',
      logs: receipt.logs,
    })
    const [voted] = parseEventLogs({ abi: communityPollAbi, eventName: 'Voted', logs: receipt.logs })
    if (!opEvent || !sponsoredEvent) throw new Error('missing UserOperationEvent or UserOperationSponsored')

    expect(opEvent.args).toStrictEqual({
      userOpHash,
      sender: sponsored.sender,
      paymaster: harness.addresses.paymaster,
      nonce: 0n,
      success: true,
      actualGasCost: opEvent.args.actualGasCost,
      actualGasUsed: opEvent.args.actualGasUsed,
    })
    expect(sponsoredEvent.args).toStrictEqual({
      userOpHash,
      sender: sponsored.sender,
      decisionDigest,
      mode: 0,
      actualGasCost: sponsoredEvent.args.actualGasCost,
    })
    // postOp sees the cost so far; the EntryPoint then adds postOp's own gas and the unused-gas penalty.
    expect(sponsoredEvent.args.actualGasCost).toBeGreaterThan(0n)
    expect(sponsoredEvent.args.actualGasCost).toBeLessThan(opEvent.args.actualGasCost)
    expect(voted?.args).toStrictEqual({ voter: sponsored.sender, option: 2n })
    expect(depositBefore - (await paymasterDeposit())).toBe(opEvent.args.actualGasCost)
  })

  it('still pays, and reports mode opReverted, when the sponsored call reverts', async () => {
    const salt = nextSalt++
    const first = await sponsor(await buildVoteOperation(harness, { salt, option: 0n }))
    await handleOps(harness, (await signAsAccount(harness, first)).packed)

    const again = await sponsor(
      await buildVoteOperation(harness, { salt, option: 1n, nonce: 1n, deploy: false }),
    )
    const { packed, userOpHash } = await signAsAccount(harness, again)
    const receipt = await handleOps(harness, packed)

    const [opEvent] = parseEventLogs({
      abi: entryPointAbi,
      eventName: 'UserOperationEvent',
      logs: receipt.logs,
    })
    const [sponsoredEvent] = parseEventLogs({
      abi: intentPaymasterAbi,
      eventName: 'UserOperationSponsored',
      logs: receipt.logs,
    })
    expect(opEvent?.args.success).toBe(false)
    expect([sponsoredEvent?.args.userOpHash, sponsoredEvent?.args.mode]).toStrictEqual([userOpHash, 1])
  })

  it('accepts a 64-byte ERC-2098 compact signature', async () => {
    const sponsored = await sponsor(await freshVote())
    const data = decodePaymasterData(sponsored.paymasterData ?? '0x')
    const compact = serializeCompactSignature(signatureToCompactSignature(parseSignature(data.signature)))
    const compacted = { ...sponsored, paymasterData: encodePaymasterData({ ...data, signature: compact }) }
    const { packed } = await signAsAccount(harness, compacted)
    expect(await handleOpsRevert(harness, packed)).toBe(undefined)
  })

  it('rejects a signature by another key with AA34', async () => {
    await expectFailedOp(await sponsor(await freshVote(), { signer: stranger }), 'AA34 signature error')
  })

  it('rejects a signature made for another chain with AA34', async () => {
    await expectFailedOp(await sponsor(await freshVote(), { chainId: 1 }), 'AA34 signature error')
  })

  it('rejects an operation whose gas fields changed after signing with AA34', async () => {
    const sponsored = await sponsor(await freshVote())
    await expectFailedOp({ ...sponsored, callGasLimit: sponsored.callGasLimit + 1n }, 'AA34 signature error')
    await expectFailedOp(
      { ...sponsored, paymasterPostOpGasLimit: sponsored.paymasterPostOpGasLimit + 1n },
      'AA34 signature error',
    )
  })

  it('rejects a swapped decision digest with AA34', async () => {
    const sponsored = await sponsor(await freshVote())
    const data = decodePaymasterData(sponsored.paymasterData ?? '0x')
    const swapped = encodePaymasterData({ ...data, decisionDigest: `0x${'d2'.repeat(32)}` })
    await expectFailedOp({ ...sponsored, paymasterData: swapped }, 'AA34 signature error')
  })

  it('rejects an expired or not yet valid window with AA32', async () => {
    const expired = window({ validUntil: now - 1, validAfter: now - 600 })
    const notDue = window({ validUntil: now + 7_200, validAfter: now + 3_600 })
    await expectFailedOp(
      await sponsor(await freshVote(), { sponsorship: expired }),
      'AA32 paymaster expired or not due',
    )
    await expectFailedOp(
      await sponsor(await freshVote(), { sponsorship: notDue }),
      'AA32 paymaster expired or not due',
    )
  })

  it('reverts on malformed paymasterData, which the EntryPoint reports as AA33', async () => {
    const sponsored = await sponsor(await freshVote())
    // Two bytes short: one byte short would be a valid 64-byte compact signature length.
    const truncated = { ...sponsored, paymasterData: (sponsored.paymasterData ?? '0x').slice(0, -4) as Hex }
    const { packed } = await signAsAccount(harness, truncated)
    const revert = await handleOpsRevert(harness, packed)
    expect(revert?.errorName).toBe('FailedOpWithRevert')
    expect(revert?.args?.slice(0, 2)).toStrictEqual([0n, 'AA33 reverted'])
    expect(decodeErrorResult({ abi: intentPaymasterAbi, data: revert?.args?.[2] as Hex })).toStrictEqual({
      abiItem: intentPaymasterAbi.find(
        (item) => item.type === 'error' && item.name === 'InvalidPaymasterDataLength',
      ),
      errorName: 'InvalidPaymasterDataLength',
      args: [159n],
    })
  })
})

describe('IntentPaymaster.setSigner', () => {
  it('can only be called by the owner', async () => {
    const attempt = harness.bundler.simulateContract({
      address: harness.addresses.paymaster,
      abi: intentPaymasterAbi,
      functionName: 'setSigner',
      args: [stranger.address],
    })
    expect(revertOf(await attempt.catch((error: unknown) => error))).toStrictEqual({
      errorName: 'OwnableUnauthorizedAccount',
      args: [stranger.address],
    })
  })

  it('rejects the zero address', async () => {
    const attempt = harness.owner.simulateContract({
      address: harness.addresses.paymaster,
      abi: intentPaymasterAbi,
      functionName: 'setSigner',
      args: ['0x0000000000000000000000000000000000000000'],
    })
    expect(revertOf(await attempt.catch((error: unknown) => error))).toStrictEqual({
      errorName: 'InvalidSigner',
      args: undefined,
    })
  })

  it('rotates the key: the old signer stops working and the new one works', async () => {
    const newSigner = accountOwner
    const hash = await harness.owner.writeContract({
      address: harness.addresses.paymaster,
      abi: intentPaymasterAbi,
      functionName: 'setSigner',
      args: [newSigner.address],
    })
    const receipt = await harness.publicClient.waitForTransactionReceipt({ hash })
    expect(
      parseEventLogs({ abi: intentPaymasterAbi, eventName: 'SignerChanged', logs: receipt.logs })[0]?.args,
    ).toStrictEqual({ previousSigner: paymasterSigner.address, newSigner: newSigner.address })
    expect(
      await harness.publicClient.readContract({
        address: harness.addresses.paymaster,
        abi: intentPaymasterAbi,
        functionName: 'signer',
      }),
    ).toBe(newSigner.address)

    await expectFailedOp(await sponsor(await freshVote()), 'AA34 signature error')
    const rotated = await signAsAccount(harness, await sponsor(await freshVote(), { signer: newSigner }))
    expect(await handleOpsRevert(harness, rotated.packed)).toBe(undefined)
  })
})

async function paymasterDeposit(): Promise<bigint> {
  return harness.publicClient.readContract({
    address: harness.addresses.entryPoint,
    abi: entryPointAbi,
    functionName: 'balanceOf',
    args: [harness.addresses.paymaster],
  })
}
