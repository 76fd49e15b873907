import type { Address, Hex } from 'viem'
import type { IntentGateContext } from './clientContext.js'
import {
  ChainMismatchError,
  type ChainMismatchErrorType,
  type ChainReadErrorType,
  ClientConfigError,
  type ClientConfigErrorType,
  type GatewayResponseErrorType,
  type IntentGateNetworkErrorType,
  type InvalidGatewayResponseErrorType,
  SigningError,
  type SigningErrorType,
} from './errors.js'
import {
  type ForwardRequestSigner,
  type ForwardRequestTypedData,
  forwardRequestTypes,
} from './forwardRequest.js'
import { isMetaTransactionReceipt, type MetaTransactionReceipt } from './types.js'

/** Gas for the forwarded call when none is given: enough for a vote or a token transfer. */
export const defaultForwardGas = 200_000n
/**
 * How long a signed request stays valid when no deadline is given. Short, because the gateway's
 * default policy refuses a validity window over a day and a stale signature is a liability.
 */
export const defaultDeadlineSeconds = 600

/** The call a meta-transaction makes, as `sendMetaTransaction` and `preview` take it. */
export type ForwardedCallParameters = {
  to: Address
  data: Hex
  /** Wei sent with the call. 0 unless given. */
  value?: bigint
  /** Gas for the forwarded call. `defaultForwardGas` unless given. */
  gas?: bigint
  /** Unix seconds after which the forwarder refuses the request. Ten minutes from now unless given. */
  deadline?: number
}

export type SendMetaTransactionParameters = ForwardedCallParameters & {
  /** Who signs: a viem `LocalAccount`, or any `{ address, signTypedData }`. Its address is `from`. */
  account: ForwardRequestSigner
  /**
   * The chain the request is for. Read from the forwarder's EIP-712 domain when left out; when
   * given, it must match the chain the forwarder is on.
   */
  chainId?: number
}

export type SendMetaTransactionReturnType = MetaTransactionReceipt

export type SendMetaTransactionErrorType =
  | GatewayResponseErrorType
  | IntentGateNetworkErrorType
  | InvalidGatewayResponseErrorType
  | ChainReadErrorType
  | ChainMismatchErrorType
  | SigningErrorType
  | ClientConfigErrorType

/**
 * Sends a gasless call through the gateway as an ERC-2771 meta-transaction: reads the signer's
 * nonce and the EIP-712 domain from the forwarder, has the account sign OpenZeppelin 5's
 * `ForwardRequest`, and submits it with the capability token. Resolves with the request id (the
 * signed digest), its status (`queued` once approved) and the attestation of the decision.
 *
 * A refusal throws `GatewayResponseError` with the gateway's code (`POLICY_DENIED`,
 * `LIMIT_EXCEEDED`, …), its `reasons` and, for a decided request, its `attestation`. The nonce is
 * the forwarder's on-chain one, so a second request from the same sender before the first is
 * relayed is refused with `NONCE_CONFLICT`.
 */
export async function sendMetaTransaction(
  context: IntentGateContext,
  parameters: SendMetaTransactionParameters,
): Promise<SendMetaTransactionReturnType> {
  const { forwarder } = context
  if (!forwarder) {
    throw new ClientConfigError(
      'No forwarder to sign for',
      'create the client with `forwarder` and either `publicClient` or `rpcUrl`',
    )
  }
  const { account, to, data, value = 0n, gas = defaultForwardGas } = parameters
  const deadline = parameters.deadline ?? Math.floor(Date.now() / 1000) + defaultDeadlineSeconds
  if (!Number.isSafeInteger(deadline) || deadline <= 0) {
    throw new ClientConfigError('Invalid deadline', `expected unix seconds, got ${deadline}`)
  }

  const [{ domain, chainId }, nonce] = await Promise.all([
    forwarder.domain(),
    forwarder.nonce(account.address),
  ])
  if (parameters.chainId !== undefined && parameters.chainId !== chainId) {
    throw new ChainMismatchError({ expected: parameters.chainId, actual: chainId })
  }

  const typedData: ForwardRequestTypedData = {
    domain,
    types: forwardRequestTypes,
    primaryType: 'ForwardRequest',
    message: { from: account.address, to, value, gas, nonce, deadline, data },
  }
  let signature: Hex
  try {
    signature = await account.signTypedData(typedData)
  } catch (cause) {
    throw new SigningError({ signer: account.address, cause })
  }

  return context.transport.request({
    method: 'POST',
    path: '/v1/meta-transactions',
    body: {
      chainId,
      from: account.address,
      to,
      value: value.toString(),
      gas: gas.toString(),
      deadline,
      data,
      signature,
    },
    accept: isMetaTransactionReceipt,
    expected: 'a 202 body {id, status, attestation}',
  })
}
