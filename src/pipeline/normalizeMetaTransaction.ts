import type { ServedChain } from '../chain/servedChain.js'
import {
  type ForwardRequestBody,
  forwardRequestTypedData,
  normalizeForwardRequest,
} from '../intents/forwardRequest.js'
import { encodeForwarderExecute, forwarderExecuteGasLimit } from '../relay/forwarderGas.js'

/**
 * Reads what a forward request's meaning depends on from its chain (the sender's forwarder nonce,
 * the forwarder's EIP-712 domain, the current fee cap) and normalizes it into an Intent, with the
 * typed data its signature must match. The intent's gas is the whole relay transaction's.
 * `executeData` is the relay's calldata, `execute(request)`, encoded once for the gas limit and
 * the simulation.
 */
export async function normalizeMetaTransaction(chain: ServedChain, body: ForwardRequestBody) {
  const [nonce, domain, maxFeePerGas] = await Promise.all([
    chain.forwarderNonce(body.from),
    chain.forwarderDomain(),
    chain.feeCap(),
  ])
  const { chainId: _chainId, ...request } = body
  const forwarder = chain.addresses.forwarder
  const executeData = encodeForwarderExecute(request)
  const common = { request: body, nonce, chainId: chain.chainId, forwarder }
  const typedData = forwardRequestTypedData({
    ...common,
    domainName: domain.name,
    domainVersion: domain.version,
  })
  const intent = normalizeForwardRequest({
    ...common,
    domain,
    maxFeePerGas,
    relayGasLimit: forwarderExecuteGasLimit(request, executeData),
  })
  return { intent, typedData, nonce, request, executeData }
}
