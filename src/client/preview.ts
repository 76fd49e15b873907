import type { Address, Hex } from 'viem'
import type { IntentGateContext } from './clientContext.js'
import {
  type ChainReadErrorType,
  ClientConfigError,
  type ClientConfigErrorType,
  type GatewayResponseErrorType,
  type IntentGateNetworkErrorType,
  type InvalidGatewayResponseErrorType,
} from './errors.js'
import {
  defaultDeadlineSeconds,
  defaultForwardGas,
  type ForwardedCallParameters,
} from './sendMetaTransaction.js'
import { isReasonList, type Reason } from './types.js'

/**
 * The request as `sendMetaTransaction` would send it, by its sender instead of a signer. Pass the
 * same `deadline` to both for the request sent to be exactly the one previewed.
 */
export type PreviewParameters = ForwardedCallParameters & {
  /** Who will sign and send: the request's `from`. Nothing is signed to preview. */
  from: Address
  /** The chain; read from the forwarder's EIP-712 domain when left out (the client needs a forwarder then). */
  chainId?: number
  /** The user's signature, if they already signed; the gateway then checks it too. */
  signature?: Hex
}

/** One piece of a call's description: the template's words, or an argument of the call. */
export type PreviewDescriptionPart = { text: string } | { arg: number; type: string; value: string }

/** One call of the request, described for the person about to sign it. */
export type PreviewCall = {
  /** "0" for the call itself, "0.1" for the second call inside a multicall, and so on. */
  path: string
  depth: number
  role: 'call' | 'container'
  to: Address
  /** Decimal wei. */
  value: string
  selector: Hex | null
  /** The template's function with this selector on this target, if it lists one. */
  function?: string
  /**
   * `source: "template"`: the template's own description, arguments filled in. `"gateway"`: the
   * template describes nothing for this call, and this is all the gateway can say on its own.
   * Every value is already safe to print (no control or bidi characters).
   */
  description: { source: 'template' | 'gateway'; text: string; parts: PreviewDescriptionPart[] }
  opaque?: { reason: string }
}

/** A token movement or permission the request would cause. Amounts and ids are decimal strings. */
export type PreviewTokenEvent =
  | { kind: 'transfer'; standard: 'erc20'; token: Address; from: Address; to: Address; amount: string }
  | { kind: 'transfer'; standard: 'erc721'; token: Address; from: Address; to: Address; tokenId: string }
  | { kind: 'transfer'; standard: 'native'; from: Address; to: Address; amount: string }
  | { kind: 'approval'; standard: 'erc20'; token: Address; owner: Address; spender: Address; amount: string }
  | {
      kind: 'approval'
      standard: 'erc721'
      token: Address
      owner: Address
      approved: Address
      tokenId: string
    }
  | { kind: 'approvalForAll'; token: Address; owner: Address; operator: Address; approved: boolean }

/** What `POST /v1/preview` answers. */
export type Preview = {
  /** Whether the gateway would approve this request now (limits aside), and every reason it would not. */
  /** `approvals` is there when the request would wait for k-of-n operator approval once sent. */
  decision: { allow: boolean; reasons: Reason[]; approvals?: { required: number; reason: string } }
  checks: {
    deadline: { ok: boolean; detail?: string }
    simulation: { ok: boolean; detail?: string }
    /** Present when a signature was given. */
    signature?: { ok: boolean; detail?: string }
  }
  policy: { revision: string; digest: string }
  /** The badge: who publishes the template the app was built from, and how far it was verified. */
  template: {
    id: string
    version: string
    publisher: string
    digest: string
    verificationLevel: number
    verificationLevelName: 'draft' | 'reviewed' | 'audited' | 'certified' | (string & {})
  }
  calls: PreviewCall[]
  effects: {
    /** `eth_call` when the node lacks eth_simulateV1: then `events` is absent, not empty. */
    source: 'eth_simulateV1' | 'eth_call'
    status: 'success' | 'reverted'
    revertReason?: string
    /** Gas the forwarded call needs, decimal; compare with `gas.requestGas`. */
    gasUsed?: string
    events?: PreviewTokenEvent[]
    otherLogs?: number
    fallbackReason?: string
  }
  gas: { requestGas: string; relayGasLimit: string; maxFeePerGas: string; maxCostWei: string }
  /** `digest` is what the user signs at the forwarder's current `nonce`, and the request id once sent. */
  request: { digest: Hex; chainId: number; sender: Address; nonce: string; validUntil: number }
  limits: { id: string; scope: string; metric: string; amount: string; max: string }[]
}

export type PreviewReturnType = Preview

export type PreviewErrorType =
  | GatewayResponseErrorType
  | IntentGateNetworkErrorType
  | InvalidGatewayResponseErrorType
  | ChainReadErrorType
  | ClientConfigErrorType

/**
 * Asks the gateway what it would decide for a meta-transaction and what it would do, before the
 * user signs: the decision and reasons, each call described by the app's template, the
 * template's badge, and the simulated effects (revert reason, gas, token transfers and
 * approvals). Nothing is signed, counted or recorded. Show it, then `sendMetaTransaction` with
 * the same fields and deadline.
 */
export async function preview(
  context: IntentGateContext,
  parameters: PreviewParameters,
): Promise<PreviewReturnType> {
  const { from, to, data, value = 0n, gas = defaultForwardGas, signature } = parameters
  const deadline = parameters.deadline ?? Math.floor(Date.now() / 1000) + defaultDeadlineSeconds
  if (!Number.isSafeInteger(deadline) || deadline <= 0) {
    throw new ClientConfigError('Invalid deadline', `expected unix seconds, got ${deadline}`)
  }
  let chainId = parameters.chainId
  if (chainId === undefined) {
    if (!context.forwarder)
      throw new ClientConfigError(
        'No chain to preview on',
        'pass `chainId`, or create the client with `forwarder` and `publicClient` or `rpcUrl`',
      )
    chainId = (await context.forwarder.domain()).chainId
  }
  return context.transport.request({
    method: 'POST',
    path: '/v1/preview',
    body: {
      chainId,
      from,
      to,
      value: value.toString(),
      gas: gas.toString(),
      deadline,
      data,
      ...(signature === undefined ? {} : { signature }),
    },
    accept: isPreview,
    expected: 'a preview {decision, template, calls, effects}',
  })
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Whether `value` is the body of `POST /v1/preview`, in the fields a UI relies on. */
export function isPreview(value: unknown): value is Preview {
  return (
    isObject(value) &&
    isObject(value.decision) &&
    typeof value.decision.allow === 'boolean' &&
    isReasonList(value.decision.reasons) &&
    isObject(value.template) &&
    typeof value.template.publisher === 'string' &&
    Array.isArray(value.calls) &&
    value.calls.every((call) => isObject(call) && isObject(call.description)) &&
    isObject(value.effects) &&
    typeof value.effects.status === 'string' &&
    isObject(value.request)
  )
}
