import { numberToHex } from 'viem'
import { z } from 'zod'
import type { ServedChain } from '../../../chain/servedChain.js'
import { defineRpcMethod } from '../rpcMethod.js'

/** eth_chainId `[]`: the sponsored chain's id as a hex quantity, answered locally. */
export function ethChainId(deps: { chain: ServedChain }) {
  return defineRpcMethod('eth_chainId', z.tuple([]), async () => numberToHex(deps.chain.chainId))
}
