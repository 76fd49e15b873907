import { createSmartAccountClient } from 'permissionless'
import { toSimpleSmartAccount } from 'permissionless/accounts'
import { type Address, createPublicClient, encodeFunctionData, type Hex, http, parseAbi } from 'viem'
import { createPaymasterClient, entryPoint07Address } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'

export type SendSponsoredVoteParameters = {
  /** The gateway's base URL, such as http://127.0.0.1:8080. */
  gatewayUrl: string
  /** The app instance's capability token. */
  token: string
  /** A JSON-RPC URL of the chain, for reads (nonce, fees, code). */
  rpcUrl: string
  /** The CommunityPoll the demo template allows. */
  poll: Address
  option: bigint
  /** The smart account's owner key; a new one (so a new account) when absent. */
  ownerKey?: Hex
}

/**
 * What a micro app does to get a vote sponsored, with nothing but permissionless and viem: the
 * gateway's /rpc is both its bundler and its ERC-7677 paymaster, and the capability token rides
 * in a header. The README shows this same code; `npm run demo:userop` runs it.
 */
export async function sendSponsoredVote(parameters: SendSponsoredVoteParameters) {
  const { gatewayUrl, token, rpcUrl, poll, option } = parameters
  const publicClient = createPublicClient({ chain: foundry, transport: http(rpcUrl) })
  const account = await toSimpleSmartAccount({
    client: publicClient,
    owner: privateKeyToAccount(parameters.ownerKey ?? generatePrivateKey()),
    entryPoint: { address: entryPoint07Address, version: '0.7' },
  })
  const gateway = http(`${gatewayUrl}/rpc`, {
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
  })
  const smartAccountClient = createSmartAccountClient({
    account,
    chain: foundry,
    client: publicClient,
    bundlerTransport: gateway,
    paymaster: createPaymasterClient({ transport: gateway }),
    // Optional: JSON the gateway attests with its decision, for the app's own records.
    paymasterContext: { webhookData: { app: 'community-poll-demo' } },
  })

  const userOpHash = await smartAccountClient.sendUserOperation({
    calls: [
      {
        to: poll,
        data: encodeFunctionData({ abi: parseAbi(['function vote(uint256)']), args: [option] }),
      },
    ],
  })
  const receipt = await smartAccountClient.waitForUserOperationReceipt({ hash: userOpHash })

  // The gateway's record of it: the decision, and once settled the outcome attestation.
  let request: { status: string; txHash?: string; userOperation?: { decisionDigest: string } } | undefined
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await fetch(`${gatewayUrl}/v1/requests/${userOpHash}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    request = (await response.json()) as typeof request
    if (request?.status !== 'sponsored') break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    account: account.address,
    userOpHash,
    txHash: receipt.receipt.transactionHash,
    success: receipt.success,
    status: request?.status,
    decisionDigest: request?.userOperation?.decisionDigest,
  }
}
