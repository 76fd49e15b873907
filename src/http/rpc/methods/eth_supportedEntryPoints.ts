import { z } from 'zod'
import type { ServedChain } from '../../../chain/servedChain.js'
import { defineRpcMethod } from '../rpcMethod.js'

/** eth_supportedEntryPoints `[]`: the v0.7 EntryPoint of the sponsored chain, answered locally. */
export function ethSupportedEntryPoints(deps: { chain: ServedChain }) {
  return defineRpcMethod('eth_supportedEntryPoints', z.tuple([]), async () => [
    deps.chain.addresses.entryPoint,
  ])
}
