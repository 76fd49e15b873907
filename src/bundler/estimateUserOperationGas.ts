import { type Address, decodeFunctionResult, encodeFunctionData, type PublicClient } from 'viem'
import { toPackedUserOperation } from 'viem/account-abstraction'
import {
  entryPointSimulationsAbi,
  entryPointSimulationsDeployedBytecode,
} from '../chain/artifacts/EntryPointSimulations.js'
import { UpstreamRpcError } from '../errors/index.js'
import type { UserOperationV07 } from '../intents/userOperation.js'
import { simulateUserOperation } from '../sponsor/userOperationChain.js'
import { entryPointRejection, requiredPreVerificationGas, TRANSACTION_BASE_GAS } from './handleOps.js'

/** The gas fields of a user operation, as eth_estimateUserOperationGas answers them. */
export type UserOperationGasEstimate = {
  preVerificationGas: bigint
  verificationGasLimit: bigint
  callGasLimit: bigint
  paymasterVerificationGasLimit: bigint
  paymasterPostOpGasLimit: bigint
}

/** What validation may use while it is measured: far above any account's, far below a block. */
const SIMULATION_VERIFICATION_GAS = 3_000_000n

/**
 * Estimates an op's gas against the real EntryPoint, for ops that the client has not signed yet
 * (a stub signature and stub paymaster data, as pm_getPaymasterStubData gives them):
 * - callGasLimit: the account's callData run from the EntryPoint, after the factory call when the
 *   op deploys the account (eth_simulateV1), less the 21,000 of its transaction (its calldata and
 *   its cold account access stay in, as headroom), plus a tenth; a call that reverts is
 *   USER_OPERATION_REJECTED (-32521), as bundlers answer it;
 * - verificationGasLimit: the v0.7 `simulateValidation` of EntryPointSimulations, run in place of
 *   the EntryPoint's code through an eth_call state override (so its deposits and nonces are the
 *   real ones); its preOpGas covers the deployment, the account's and the paymaster's validation,
 *   and gets a fifth on top. Fees are zeroed for it, so no deposit is needed;
 * - preVerificationGas: {@link requiredPreVerificationGas}, what eth_sendUserOperation requires;
 * - the paymaster's limits: those of the stub, which are the paymaster's real ones.
 */
export async function estimateUserOperationGas(
  client: PublicClient,
  parameters: { userOp: UserOperationV07; entryPoint: Address },
): Promise<UserOperationGasEstimate> {
  const { userOp, entryPoint } = parameters
  const paymasterVerificationGasLimit = userOp.paymasterVerificationGasLimit ?? 0n
  const paymasterPostOpGasLimit = userOp.paymasterPostOpGasLimit ?? 0n

  const call = await simulateUserOperation(client, { userOp, entryPoint })
  if (!call.ok) {
    throw new UpstreamRpcError(-32521, 'USER_OPERATION_REJECTED', 'The user operation reverts', {
      details: call.reason,
    })
  }
  // Measured as a transaction of its own: less its intrinsic gas, it is what the call itself used.
  const callGasUsed =
    call.callGasUsed ??
    (await client.estimateGas({ account: entryPoint, to: userOp.sender, data: userOp.callData }))
  const callGasLimit =
    ((callGasUsed > TRANSACTION_BASE_GAS ? callGasUsed - TRANSACTION_BASE_GAS : 0n) * 11n) / 10n

  const measured: UserOperationV07 = {
    ...userOp,
    callGasLimit,
    verificationGasLimit: SIMULATION_VERIFICATION_GAS,
    preVerificationGas: 0n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
  }
  let returned: `0x${string}` | undefined
  try {
    const answer = await client.call({
      to: entryPoint,
      data: encodeFunctionData({
        abi: entryPointSimulationsAbi,
        functionName: 'simulateValidation',
        args: [toPackedUserOperation(measured)],
      }),
      stateOverride: [{ address: entryPoint, code: entryPointSimulationsDeployedBytecode }],
    })
    returned = answer.data
  } catch (error) {
    throw entryPointRejection(error)
  }
  if (!returned) throw entryPointRejection(new Error('simulateValidation returned nothing'))
  const { returnInfo } = decodeFunctionResult({
    abi: entryPointSimulationsAbi,
    functionName: 'simulateValidation',
    data: returned,
  })
  const verificationGasLimit = (returnInfo.preOpGas * 6n) / 5n
  const estimated = { ...userOp, callGasLimit, verificationGasLimit }
  return {
    preVerificationGas: requiredPreVerificationGas(estimated),
    verificationGasLimit,
    callGasLimit,
    paymasterVerificationGasLimit,
    paymasterPostOpGasLimit,
  }
}
