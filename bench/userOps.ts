import { toSimpleSmartAccount } from 'permissionless/accounts'
import { createPublicClient, encodeFunctionData, http, numberToHex } from 'viem'
import { formatUserOperationRequest } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { communityPollAbi } from '../src/chain/artifacts/CommunityPoll.js'
import type { GatewayUnderTest } from './gatewayUnderTest.js'

/**
 * `count` JSON-RPC bodies of `pm_getPaymasterData`, each for a vote from a fresh SimpleAccount
 * (v0.7, deployed by the op through its factory, nonce 0), gas already estimated as a client
 * would send it: unique, and all allowed. Built before the clock starts; each asks the chain once
 * for the account's counterfactual address.
 */
export async function prebuildPaymasterRequests(target: GatewayUnderTest, count: number): Promise<string[]> {
  const { addresses, anvil } = target
  const client = createPublicClient({ chain: foundry, transport: http(anvil.url) })
  const fees = await client.estimateFeesPerGas()
  const callData = encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] })
  const bodies: string[] = []
  for (let index = 0; index < count; index++) {
    const account = await toSimpleSmartAccount({
      client,
      owner: privateKeyToAccount(generatePrivateKey()),
      entryPoint: { address: addresses.entryPoint, version: '0.7' },
    })
    const userOp = formatUserOperationRequest({
      sender: account.address,
      nonce: 0n,
      ...(await account.getFactoryArgs()),
      callData: await account.encodeCalls([{ to: addresses.targets.communityPoll, data: callData }]),
      callGasLimit: 200_000n,
      verificationGasLimit: 500_000n,
      preVerificationGas: 80_000n,
      maxFeePerGas: fees.maxFeePerGas * 2n,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      signature: await account.getStubSignature(),
    })
    bodies.push(
      JSON.stringify({
        jsonrpc: '2.0',
        id: index,
        method: 'pm_getPaymasterData',
        params: [userOp, addresses.entryPoint, numberToHex(addresses.chainId), null],
      }),
    )
  }
  return bodies
}

/** What every answer of a sponsored op contains and no JSON-RPC error does. */
export const sponsoredAnswerMark = '"paymasterData"'
