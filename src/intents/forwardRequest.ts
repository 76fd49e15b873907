import type { Address, TypedDataDefinition } from 'viem'
import { z } from 'zod'
import { decodeCall } from './decodeCall.js'
import type { Intent } from './intent.js'
import { forwardRequestDigest } from './requestDigest.js'
import {
  addressField,
  decimalOrSafeIntegerUint,
  decimalUint,
  fixedHexBytes,
  hexBytesField,
} from './requestScalars.js'

const chainIdField = decimalOrSafeIntegerUint(53).transform((value, ctx) => {
  if (value > 0n) return Number(value)
  ctx.addIssue({ code: 'custom', message: 'a chain id is a positive integer' })
  return z.NEVER
})

/**
 * The body of `POST /v1/meta-transactions`: OpenZeppelin 5's `ERC2771Forwarder.ForwardRequestData`
 * plus the chain it is for. Unknown keys are refused, so a typo such as `deadLine` is reported rather
 * than silently ignored. `nonce` is not a field: the forwarder's current nonce for `from` is what
 * the signature must cover, and the gateway reads it from the chain.
 */
export const forwardRequestBodySchema = z.strictObject(
  {
    from: addressField,
    to: addressField,
    value: decimalUint(256),
    gas: decimalOrSafeIntegerUint(256),
    deadline: decimalOrSafeIntegerUint(48).transform(Number),
    data: hexBytesField,
    signature: fixedHexBytes(65, 'a 65-byte ECDSA signature (r, s, v)').superRefine((signature, context) => {
      const problem = canonicalSignatureProblem(signature)
      if (problem) context.addIssue({ code: 'custom', message: problem })
    }),
    chainId: chainIdField,
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; a forward request has from, to, value, gas, deadline, data, signature and chainId`
        : issue.input === undefined
          ? 'required'
          : 'expected a JSON object',
  },
)

export type ForwardRequestBody = z.output<typeof forwardRequestBodySchema>

/** The signed fields of a forward request, apart from the nonce, which the forwarder holds. */
export type ForwardRequestFields = Pick<
  ForwardRequestBody,
  'from' | 'to' | 'value' | 'gas' | 'deadline' | 'data'
>

/** The ERC2771Forwarder's `ForwardRequestData`, as its `execute` takes it: the signed fields and the signature. */
export type ForwardRequestData = ForwardRequestFields & Pick<ForwardRequestBody, 'signature'>

/** The EIP-712 type of OpenZeppelin 5's ERC2771Forwarder, field for field in its typehash order. */
export const forwardRequestTypes = {
  ForwardRequest: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'gas', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint48' },
    { name: 'data', type: 'bytes' },
  ],
} as const

export type ForwardRequestTypedData = TypedDataDefinition<typeof forwardRequestTypes, 'ForwardRequest'> & {
  domain: { name: string; version: string; chainId: number; verifyingContract: Address }
}

export type ForwardRequestTypedDataParameters = {
  request: ForwardRequestFields
  /** The forwarder's `nonces(from)` at the time of signing. */
  nonce: bigint
  chainId: number
  forwarder: Address
  /** The name given to the forwarder's constructor, as its `eip712Domain()` reports it. */
  domainName: string
  /** "1" for every OpenZeppelin 5 ERC2771Forwarder. */
  domainVersion: string
}

/**
 * The EIP-712 typed data a user signs for an OpenZeppelin 5 ERC2771Forwarder:
 * `ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)`
 * in the domain `{name, version, chainId, verifyingContract: forwarder}`. Pass it to viem's
 * `hashTypedData`, `signTypedData` or `recoverTypedDataAddress`.
 */
export function forwardRequestTypedData(
  parameters: ForwardRequestTypedDataParameters,
): ForwardRequestTypedData {
  const { request, nonce, chainId, forwarder, domainName, domainVersion } = parameters
  return {
    domain: { name: domainName, version: domainVersion, chainId, verifyingContract: forwarder },
    types: forwardRequestTypes,
    primaryType: 'ForwardRequest',
    message: {
      from: request.from,
      to: request.to,
      value: request.value,
      gas: request.gas,
      nonce,
      deadline: request.deadline,
      data: request.data,
    },
  }
}

export type NormalizeForwardRequestParameters = {
  request: ForwardRequestFields
  nonce: bigint
  chainId: number
  forwarder: Address
  /** The forwarder's EIP-712 domain name and version. */
  domain: { name: string; version: string }
  /** The most the relayer will pay per unit of gas; the request itself carries no fee. */
  maxFeePerGas: bigint
  /**
   * Gas of the whole relay transaction (intrinsic and calldata cost, the forwarder's own work, and
   * request.gas passed on under the 63/64 rule): what the gateway pays for, so what the template's
   * gas caps are checked against. See src/relay/forwarderGas.ts.
   */
  relayGasLimit: bigint
}

/**
 * Normalizes a validated forward request into an Intent. The forwarder makes exactly one call,
 * `request.to` with `request.value` and `request.data`, so that call (with any multicall inside it
 * expanded) is the call list. The gas limit is the `gas` the forwarder passes on; the fee cap comes
 * from the relayer, because a meta-transaction does not name one. Never throws: call data that cannot
 * be decoded safely becomes an opaque call.
 */
export function normalizeForwardRequest(parameters: NormalizeForwardRequestParameters): Intent {
  const { request, nonce, chainId, forwarder, domain, maxFeePerGas, relayGasLimit } = parameters
  const typedData = forwardRequestTypedData({
    request,
    nonce,
    chainId,
    forwarder,
    domainName: domain.name,
    domainVersion: domain.version,
  })
  const calls = decodeCall({ to: request.to, value: request.value, data: request.data })
  return {
    kind: 'meta-tx',
    chainId,
    sender: request.from,
    calls,
    gas: {
      limit: relayGasLimit.toString(),
      maxFeePerGas: maxFeePerGas.toString(),
      maxCostWei: (relayGasLimit * maxFeePerGas).toString(),
    },
    validUntil: request.deadline,
    nonce: nonce.toString(),
    requestDigest: forwardRequestDigest(typedData),
  }
}

/** Half the secp256k1 group order: OpenZeppelin's ECDSA, like EIP-2, accepts only s at or below it. */
const halfOrder = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * Why a signature is not the one canonical form the forwarder accepts, or undefined. viem recovers
 * a high-s or v in {0, 1} signature too, but the forwarder rejects it; and since anyone can flip a
 * signature to its high-s twin, accepting one would let a bystander submit a variant of someone's
 * request that can never execute.
 */
export function canonicalSignatureProblem(signature: `0x${string}`): string | undefined {
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  if (s === 0n || s > halfOrder) return 's must be in the lower half of the curve order (EIP-2)'
  if (v !== 27 && v !== 28) return 'v must be 27 or 28'
  return undefined
}
