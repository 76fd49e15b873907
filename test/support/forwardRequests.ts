import { type Address, createPublicClient, type Hex, http, type LocalAccount } from 'viem'
import { intentForwarderAbi } from '../../src/chain/artifacts/IntentForwarder.js'

/**
 * Signs ERC2771Forwarder requests the way a micro app would, written here from the OpenZeppelin 5
 * type string so the gateway's own typed data is checked against an independent copy.
 */
export async function signForwardRequest(parameters: {
  account: LocalAccount
  rpcUrl: string
  forwarder: Address
  /** Sign for this chain instead of the one served, to test cross-chain replays; the body still names the served one. */
  signingChainId?: number
  to: Address
  data: Hex
  value?: bigint
  gas?: bigint
  deadline?: number
  nonce?: bigint
}) {
  const { account, rpcUrl, forwarder, to, data, value = 0n, gas = 200_000n } = parameters
  const client = createPublicClient({ transport: http(rpcUrl) })
  const chainId = await client.getChainId()
  const signingChainId = parameters.signingChainId ?? chainId
  const nonce =
    parameters.nonce ??
    (await client.readContract({
      address: forwarder,
      abi: intentForwarderAbi,
      functionName: 'nonces',
      args: [account.address],
    }))
  const deadline = parameters.deadline ?? Math.floor(Date.now() / 1000) + 600
  const signature = await account.signTypedData({
    domain: {
      name: 'IntentGateForwarder',
      version: '1',
      chainId: signingChainId,
      verifyingContract: forwarder,
    },
    types: {
      ForwardRequest: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'gas', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint48' },
        { name: 'data', type: 'bytes' },
      ],
    },
    primaryType: 'ForwardRequest',
    message: { from: account.address, to, value, gas, nonce, deadline, data },
  })
  return {
    chainId,
    from: account.address,
    to,
    value: value.toString(),
    gas: gas.toString(),
    deadline,
    data,
    signature,
  }
}
