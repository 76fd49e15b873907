import type { Address, Hex } from 'viem'
import { z } from 'zod'
import type { ForwardRequestData } from '../intents/forwardRequest.js'
import type { LimitToReserve } from '../limits/reserveLimits.js'

/**
 * The envelope of a relay job, version 1. The job id is the request digest. The envelope carries
 * everything the worker needs to put the request on chain without reading the API process's
 * state: the signed forward request, the fee cap fixed at admission, and which reserved limits
 * measure gas, so the unused part of them can be refunded once the actual cost is known.
 *
 * A worker refuses envelopes of a version it does not know rather than guessing at their meaning.
 */
export type RelayJobV1 = {
  v: 1
  kind: 'meta-tx'
  requestDigest: Hex
  chainId: number
  forwarder: Address
  request: {
    from: Address
    to: Address
    value: string
    gas: string
    deadline: number
    data: Hex
    signature: Hex
  }
  /** maxFeePerGas fixed at admission (the intent's), decimal wei: no attempt of the request pays more. */
  capPerGas: string
  /** The gasWei limits reserved for the request, with what each reserved, decimal wei. */
  gasLimits: { id: string; amount: string }[]
  /** Unix seconds at which the request was approved. */
  acceptedAt: number
}

export type RelayJob = RelayJobV1

/**
 * The envelope of a self-bundled user operation, version 1 (no BUNDLER_URL): the op is sent in a
 * bundle of one, `handleOps([op], relayer)`, by a key of the relayer pool. The job id is the
 * request digest, as for meta-transactions, so an op is bundled by one job however often it is
 * sent. The fee caps are the op's own: the bundle never pays more per gas than the op pays back.
 */
export type UserOperationJobV1 = {
  v: 1
  kind: 'user-op'
  requestDigest: Hex
  chainId: number
  entryPoint: Address
  /** The op exactly as eth_sendUserOperation took it, in its JSON-RPC form. */
  userOp: Record<string, string>
  /** The EntryPoint's hash of that op. */
  userOpHash: Hex
  /** The op's maxFeePerGas, decimal wei: the bundle's fee cap. */
  capPerGas: string
  /** The op's maxPriorityFeePerGas, decimal wei: the bundle's tip never exceeds it. */
  tipCapPerGas: string
  /** Unix seconds: the sponsorship's end. Past it the EntryPoint refuses the op, so the job ends. */
  validUntil: number
  /** Unix seconds at which eth_sendUserOperation accepted it. */
  acceptedAt: number
}

export type UserOperationJob = UserOperationJobV1

/** Any job of the relay queue. */
export type QueuedJob = RelayJob | UserOperationJob

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/) as unknown as z.ZodType<Address>
const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/) as unknown as z.ZodType<Hex>
const decimal = z.string().regex(/^(0|[1-9]\d{0,77})$/)

const relayJobV1Schema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('meta-tx'),
  requestDigest: z.string().regex(/^0x[0-9a-f]{64}$/) as unknown as z.ZodType<Hex>,
  chainId: z.number().int().positive(),
  forwarder: address,
  request: z.strictObject({
    from: address,
    to: address,
    value: decimal,
    gas: decimal,
    deadline: z.number().int().min(0),
    data: hex,
    signature: hex,
  }),
  capPerGas: decimal,
  gasLimits: z.array(z.strictObject({ id: z.string().min(1), amount: decimal })),
  acceptedAt: z.number().int().min(0),
})

const userOperationJobV1Schema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('user-op'),
  requestDigest: z.string().regex(/^0x[0-9a-f]{64}$/) as unknown as z.ZodType<Hex>,
  chainId: z.number().int().positive(),
  entryPoint: address,
  userOp: z.record(z.string(), z.string()),
  userOpHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/) as unknown as z.ZodType<Hex>,
  capPerGas: decimal,
  tipCapPerGas: decimal,
  validUntil: z.number().int().min(0),
  acceptedAt: z.number().int().min(0),
})

/**
 * Validates a job's data as read back from the queue; an unknown version or kind is an error,
 * never a guess.
 */
export function parseRelayJob(data: unknown): QueuedJob {
  const version = (data as { v?: unknown } | null)?.v
  if (version !== 1) throw new RangeError(`relay job envelope version ${String(version)} is not supported`)
  const kind = (data as { kind?: unknown }).kind
  return kind === 'user-op' ? userOperationJobV1Schema.parse(data) : relayJobV1Schema.parse(data)
}

/** Builds the envelope of an approved meta-transaction. */
export function buildRelayJob(parameters: {
  requestDigest: Hex
  chainId: number
  forwarder: Address
  request: ForwardRequestData
  capPerGas: string
  limits: readonly LimitToReserve[]
  acceptedAt: number
}): RelayJob {
  const { request } = parameters
  return {
    v: 1,
    kind: 'meta-tx',
    requestDigest: parameters.requestDigest,
    chainId: parameters.chainId,
    forwarder: parameters.forwarder,
    request: {
      from: request.from,
      to: request.to,
      value: request.value.toString(),
      gas: request.gas.toString(),
      deadline: request.deadline,
      data: request.data,
      signature: request.signature,
    },
    capPerGas: parameters.capPerGas,
    gasLimits: parameters.limits
      .filter((limit) => limit.metric === 'gasWei')
      .map((limit) => ({ id: limit.id, amount: limit.amount })),
    acceptedAt: parameters.acceptedAt,
  }
}

/** The forward request of a job, as the forwarder's `execute` takes it. */
export function forwardRequestOf(job: RelayJob): ForwardRequestData {
  const { request } = job
  return { ...request, value: BigInt(request.value), gas: BigInt(request.gas) }
}

/**
 * What to give back of a request's gas reservation once its actual cost is known: for each gasWei
 * limit, what it reserved less the cost, never below zero (the cost can only exceed the reservation
 * through a cancel, which the relayer pays for).
 */
export function gasRefunds(job: RelayJob, actualCostWei: bigint): { id: string; amount: string }[] {
  return job.gasLimits.map((limit) => {
    const unused = BigInt(limit.amount) - actualCostWei
    return { id: limit.id, amount: (unused > 0n ? unused : 0n).toString() }
  })
}
