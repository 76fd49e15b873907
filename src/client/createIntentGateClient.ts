import { type Address, type Client, createPublicClient, type Hex, http, isAddress } from 'viem'
import type { IntentGateContext } from './clientContext.js'
import { ClientConfigError } from './errors.js'
import { createForwarderReader } from './forwardRequest.js'
import { createGatewayTransport, type GatewayTransportParameters } from './gatewayTransport.js'
import { type GetRequestReturnType, getRequest } from './getRequest.js'
import { type GetSessionReturnType, getSession } from './getSession.js'
import { type PreviewParameters, type PreviewReturnType, preview } from './preview.js'
import {
  type SendMetaTransactionParameters,
  type SendMetaTransactionReturnType,
  sendMetaTransaction,
} from './sendMetaTransaction.js'
import {
  type WaitForRequestParameters,
  type WaitForRequestReturnType,
  waitForRequest,
} from './waitForRequest.js'

export type CreateIntentGateClientParameters = GatewayTransportParameters & {
  /**
   * The ERC2771Forwarder the gateway relays through on this chain. The gateway does not announce
   * it: it comes with the app's template or platform configuration (for the dev fixtures,
   * `anvil-fixtures/addresses.json`). Needed, with a chain, to send meta-transactions.
   */
  forwarder?: Address
  /**
   * A viem client on the chain the forwarder is on, used to read the signer's nonce and the
   * forwarder's EIP-712 domain (ERC-5267). Give this or `rpcUrl`.
   */
  publicClient?: Client
  /** A JSON-RPC URL for that chain, when the app has no viem client of its own. */
  rpcUrl?: string
}

export type CreateIntentGateClientReturnType = IntentGateClient

/** A gateway client bound to one capability token. */
export type IntentGateClient = {
  /** The gateway's base URL. */
  readonly url: string
  /** The forwarder meta-transactions are signed for, if the client was given one. */
  readonly forwarder: Address | undefined
  /** Signs and submits a meta-transaction; see `sendMetaTransaction`. */
  sendMetaTransaction(parameters: SendMetaTransactionParameters): Promise<SendMetaTransactionReturnType>
  /** What the gateway would decide and do for a request, before the user signs it; see `preview`. */
  preview(parameters: PreviewParameters): Promise<PreviewReturnType>
  /** Reads a request's status, decision and attestations. */
  getRequest(id: Hex): Promise<GetRequestReturnType>
  /** Polls a request until it settles or reaches a status in `until`; see `waitForRequest`. */
  waitForRequest(id: Hex, options?: Omit<WaitForRequestParameters, 'id'>): Promise<WaitForRequestReturnType>
  /** Reads what the token stands for, after every revocation check. */
  getSession(): Promise<GetSessionReturnType>
}

/**
 * Creates the client a micro app uses to talk to an intentgate gateway with its capability
 * token. Configuration mistakes throw `ClientConfigError` here rather than on first use.
 *
 * @example
 * const gateway = createIntentGateClient({
 *   url: 'https://gateway.example',
 *   token: capabilityToken,
 *   rpcUrl: 'https://rpc.example',
 *   forwarder: '0x…',
 * })
 * const deadline = Math.floor(Date.now() / 1000) + 600
 * const shown = await gateway.preview({ from: account.address, to: poll, data: vote, deadline })
 * if (!shown.decision.allow) throw new Error(shown.decision.reasons[0]?.message)
 * const { id } = await gateway.sendMetaTransaction({ account, to: poll, data: vote, deadline })
 * const record = await gateway.waitForRequest(id)
 */
export function createIntentGateClient(parameters: CreateIntentGateClientParameters): IntentGateClient {
  const { url, token, fetch, timeout, forwarder, publicClient, rpcUrl } = parameters
  const transport = createGatewayTransport({ url, token, fetch, timeout })
  const context: IntentGateContext = {
    transport,
    forwarder: forwarderReader({ forwarder, publicClient, rpcUrl }),
  }
  return {
    url: transport.url,
    forwarder,
    sendMetaTransaction: (request) => sendMetaTransaction(context, request),
    preview: (request) => preview(context, request),
    getRequest: (id) => getRequest(context, { id }),
    waitForRequest: (id, options = {}) => waitForRequest(context, { ...options, id }),
    getSession: () => getSession(context),
  }
}

function forwarderReader(
  options: Pick<CreateIntentGateClientParameters, 'forwarder' | 'publicClient' | 'rpcUrl'>,
) {
  const { forwarder, publicClient, rpcUrl } = options
  const chainGiven = publicClient !== undefined || rpcUrl !== undefined
  if (forwarder === undefined) {
    if (chainGiven)
      throw new ClientConfigError('Missing forwarder', 'a chain was given without the forwarder address')
    return undefined
  }
  if (!isAddress(forwarder, { strict: false })) {
    throw new ClientConfigError('Invalid forwarder', `expected an address, got ${forwarder}`)
  }
  if (publicClient && rpcUrl)
    throw new ClientConfigError('Ambiguous chain', 'give publicClient or rpcUrl, not both')
  const client = publicClient ?? (rpcUrl ? createPublicClient({ transport: http(rpcUrl) }) : undefined)
  if (!client)
    throw new ClientConfigError('Missing chain', 'a forwarder needs publicClient or rpcUrl to read it')
  return createForwarderReader(client, forwarder)
}
