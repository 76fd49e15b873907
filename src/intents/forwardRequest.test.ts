import {
  encodeAbiParameters,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseAbiParameters,
  parseGwei,
  recoverTypedDataAddress,
  stringToHex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { anvilDevAccounts } from '../chain/anvilAccounts.js'
import { communityPollAbi } from '../chain/artifacts/CommunityPoll.js'
import { demoTokenAbi } from '../chain/artifacts/DemoToken.js'
import {
  forwardRequestBodySchema,
  forwardRequestTypedData,
  normalizeForwardRequest,
} from './forwardRequest.js'

const forwarder = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0'
const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'
const alice = anvilDevAccounts[2]
const mallory = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
const vote = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
const signature = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b` as const

const body = {
  from: alice.address.toLowerCase(),
  to: poll,
  value: '0',
  gas: '120000',
  deadline: '1900000000',
  data: vote,
  signature,
  chainId: 31337,
}

function issuesOf(input: unknown) {
  const result = forwardRequestBodySchema.safeParse(input)
  return result.success ? [] : result.error.issues.map(({ path, message }) => ({ path, message }))
}

describe('forwardRequestBodySchema', () => {
  test('parses a body into checksummed addresses, bigints and numbers', () => {
    expect(forwardRequestBodySchema.parse(body)).toEqual({
      from: alice.address,
      to: poll,
      value: 0n,
      gas: 120000n,
      deadline: 1900000000,
      data: vote,
      signature,
      chainId: 31337,
    })
  })

  test('takes JSON integers for gas, deadline and chainId, and decimal strings for chainId', () => {
    const parsed = forwardRequestBodySchema.parse({
      ...body,
      gas: 120000,
      deadline: 1900000000,
      chainId: '31337',
    })
    expect([parsed.gas, parsed.deadline, parsed.chainId]).toEqual([120000n, 1900000000, 31337])
  })

  test('ignores address letter case, even a wrong checksum', () => {
    const wrongChecksum = `0x${poll.slice(2, 3).toLowerCase()}${poll.slice(3)}`
    expect(forwardRequestBodySchema.parse({ ...body, to: wrongChecksum }).to).toBe(poll)
  })

  test('refuses unknown and missing fields', () => {
    const { signature: _signature, ...unsigned } = body
    expect(issuesOf({ ...unsigned, nonce: '0' })).toEqual([
      { path: ['signature'], message: 'required' },
      {
        path: [],
        message:
          'unknown field "nonce"; a forward request has from, to, value, gas, deadline, data, signature and chainId',
      },
    ])
  })

  test('refuses something other than an object', () => {
    expect(issuesOf([body])).toEqual([{ path: [], message: 'expected a JSON object' }])
  })

  test.each([
    ['value', 5, 'expected a uint256 as a decimal string such as "1000"'],
    ['value', '0x10', '"0x10" is not a decimal integer string of digits'],
    ['value', '007', '"007" has leading zeros'],
    ['value', (2n ** 256n).toString(), `"${2n ** 256n}" is above the uint256 maximum`],
    [
      'gas',
      2 ** 53,
      '9007199254740992 is not a non-negative safe integer; send large numbers as decimal strings',
    ],
    ['gas', -1, '-1 is not a non-negative safe integer; send large numbers as decimal strings'],
    ['gas', 1.5, '1.5 is not a non-negative safe integer; send large numbers as decimal strings'],
    ['gas', true, 'expected a uint256 as a decimal string or a JSON integer'],
    ['deadline', '281474976710656', '"281474976710656" is above the uint48 maximum'],
    ['chainId', 0, 'a chain id is a positive integer'],
    ['from', '0x1234', '"0x1234" is not an address: expected 0x and 40 hex digits'],
    ['to', 42, 'expected an address: 0x and 40 hex digits'],
    ['data', '0xabc', '"0xabc" is not hex bytes: expected 0x and an even number of hex digits'],
    ['data', 'abcd', '"abcd" is not hex bytes: expected 0x and an even number of hex digits'],
    [
      'signature',
      `0x${'11'.repeat(64)}`,
      'expected a 65-byte ECDSA signature (r, s, v): 0x and 130 hex digits (65 bytes), got 64 bytes',
    ],
    [
      'signature',
      'signed',
      'expected a 65-byte ECDSA signature (r, s, v): 0x and 130 hex digits (65 bytes), got "signed"',
    ],
  ])('%s = %j is refused', (field, value, message) => {
    expect(issuesOf({ ...body, [field]: value })).toEqual([{ path: [field], message }])
  })

  test('keeps a message about kilobytes of bad hex short', () => {
    const [issue] = issuesOf({ ...body, data: `0x${'z'.repeat(5000)}` })
    expect(issue?.message).toBe(
      `"0x${'z'.repeat(38)}…zzzzzzzz (5002 characters)" is not hex bytes: expected 0x and an even number of hex digits`,
    )
  })

  test('lower-cases hex', () => {
    expect(forwardRequestBodySchema.parse({ ...body, data: '0xABCDEF' }).data).toBe('0xabcdef')
  })
})

const request = forwardRequestBodySchema.parse(body)
const domain = { name: 'IntentGateForwarder', version: '1' }

/** The digest as OpenZeppelin's ERC2771Forwarder and EIP712 compute it in Solidity, step by step. */
function digestAsTheForwarderComputesIt(nonce: bigint, chainId: number): Hex {
  const typeHash = keccak256(
    stringToHex(
      'ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)',
    ),
  )
  const structHash = keccak256(
    encodeAbiParameters(
      parseAbiParameters('bytes32, address, address, uint256, uint256, uint256, uint48, bytes32'),
      [
        typeHash,
        request.from,
        request.to,
        request.value,
        request.gas,
        nonce,
        request.deadline,
        keccak256(request.data),
      ],
    ),
  )
  const domainTypeHash = keccak256(
    stringToHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
  )
  const domainSeparator = keccak256(
    encodeAbiParameters(parseAbiParameters('bytes32, bytes32, bytes32, uint256, address'), [
      domainTypeHash,
      keccak256(stringToHex(domain.name)),
      keccak256(stringToHex(domain.version)),
      BigInt(chainId),
      forwarder,
    ]),
  )
  return keccak256(`0x1901${domainSeparator.slice(2)}${structHash.slice(2)}`)
}

describe('forwardRequestTypedData', () => {
  const typedData = forwardRequestTypedData({
    request,
    nonce: 4n,
    chainId: 31337,
    forwarder,
    domainName: domain.name,
    domainVersion: domain.version,
  })

  test('is what a wallet signs and the signature recovers to `from`', async () => {
    const signed = await privateKeyToAccount(alice.privateKey).signTypedData(typedData)
    await expect(recoverTypedDataAddress({ ...typedData, signature: signed })).resolves.toBe(alice.address)
  })

  test('has the domain and message of the forwarder', () => {
    expect(typedData.domain).toEqual({
      name: 'IntentGateForwarder',
      version: '1',
      chainId: 31337,
      verifyingContract: forwarder,
    })
    expect(typedData.message).toEqual({
      from: alice.address,
      to: poll,
      value: 0n,
      gas: 120000n,
      nonce: 4n,
      deadline: 1900000000,
      data: vote,
    })
  })
})

describe('normalizeForwardRequest', () => {
  test('turns a vote through the forwarder into a meta-tx Intent', () => {
    const intent = normalizeForwardRequest({
      request,
      nonce: 4n,
      chainId: 31337,
      forwarder,
      domain,
      maxFeePerGas: parseGwei('3'),
      relayGasLimit: 180_000n,
    })
    expect(intent).toEqual({
      kind: 'meta-tx',
      chainId: 31337,
      sender: alice.address,
      calls: [
        {
          path: '0',
          depth: 0,
          role: 'call',
          to: poll,
          value: '0',
          selector: '0x0121b93f',
          dataHash: keccak256(vote),
          dataLength: 36,
        },
      ],
      // The relay transaction's gas, not request.gas: the gateway pays for all of it.
      gas: { limit: '180000', maxFeePerGas: '3000000000', maxCostWei: '540000000000000' },
      validUntil: 1900000000,
      nonce: '4',
      requestDigest: digestAsTheForwarderComputesIt(4n, 31337),
    })
  })

  test('expands a multicall so a forbidden inner call is checked', () => {
    const drain = encodeFunctionData({
      abi: demoTokenAbi,
      functionName: 'transfer',
      args: [mallory, 10n ** 21n],
    })
    const data = encodeFunctionData({ abi: demoTokenAbi, functionName: 'multicall', args: [[drain]] })
    const intent = normalizeForwardRequest({
      request: { ...request, to: token, data },
      nonce: 0n,
      chainId: 31337,
      forwarder,
      domain,
      maxFeePerGas: 1n,
      relayGasLimit: 1n,
    })
    expect(intent.calls.map(({ path, role, to, decoded }) => ({ path, role, to, decoded }))).toEqual([
      { path: '0', role: 'container', to: token, decoded: undefined },
      {
        path: '0.0',
        role: 'call',
        to: token,
        decoded: {
          standard: 'erc20',
          function: 'transfer',
          args: { to: mallory, amount: '1000000000000000000000' },
        },
      },
    ])
  })

  test('the digest binds the nonce, the chain and the forwarder', () => {
    const digest = (nonce: bigint, chainId: number, verifyingContract: Hex) =>
      normalizeForwardRequest({
        request,
        nonce,
        chainId,
        forwarder: verifyingContract,
        domain,
        maxFeePerGas: 1n,
        relayGasLimit: 1n,
      }).requestDigest
    const base = digest(0n, 31337, forwarder)
    expect(base).toBe(digestAsTheForwarderComputesIt(0n, 31337))
    expect(
      new Set([base, digest(1n, 31337, forwarder), digest(0n, 1, forwarder), digest(0n, 31337, poll)]).size,
    ).toBe(4)
  })
})
