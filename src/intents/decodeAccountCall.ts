import {
  type Address,
  getAbiItem,
  type Hex,
  hexToBigInt,
  parseAbiParameters,
  slice,
  toFunctionSelector,
} from 'viem'
import { simpleAccountAbi } from '../chain/artifacts/SimpleAccount.js'
import { decodeCanonicalAbi } from './canonicalAbi.js'
import { decodeCallAt } from './decodeCall.js'
import type { IntentCall } from './intent.js'
import {
  type CallBudget,
  type CallPosition,
  callArguments,
  callBudget,
  callEntry,
  innerPosition,
  MAX_INTENT_CALLS,
  opaqueEntry,
  type RawCall,
} from './intentCall.js'

const simpleAccountExecute = getAbiItem({ abi: simpleAccountAbi, name: 'execute' })
const simpleAccountExecuteBatch = getAbiItem({ abi: simpleAccountAbi, name: 'executeBatch' })
const erc7579Execute = parseAbiParameters('bytes32 mode, bytes executionCalldata')
const erc7579Batch = parseAbiParameters('(address target, uint256 value, bytes callData)[]')

const selectors = {
  simpleAccountExecute: toFunctionSelector(simpleAccountExecute),
  simpleAccountExecuteBatch: toFunctionSelector(simpleAccountExecuteBatch),
  erc7579Execute: toFunctionSelector('execute(bytes32,bytes)'),
  executeUserOp: toFunctionSelector(
    'executeUserOp((address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes),bytes32)',
  ),
} as const

const root: CallPosition = { path: '0', depth: 0 }

/** What the account will run for one user operation. */
export type AccountCallParameters = {
  /** The ERC-4337 account: the user operation's `sender`. */
  account: Address
  /** The user operation's `callData`, which the EntryPoint sends to the account. */
  callData: Hex
}

/**
 * Decodes the callData the EntryPoint sends to an account into the calls the account makes:
 *
 * - SimpleAccount v0.7 `execute(address dest, uint256 value, bytes func)`: that one call, at path "0".
 * - SimpleAccount v0.7 `executeBatch(address[] dest, uint256[] value, bytes[] func)`, where an empty
 *   `value` means no value for every call: a container for the account call, then "0.0", "0.1", ….
 * - ERC-7579 `execute(bytes32 mode, bytes executionCalldata)` (Kernel, Nexus, Safe7579) with call
 *   type single (0x00) or batch (0x01) and exec type default (0x00) or try (0x01), laid out the same way.
 *
 * Each target call is then decoded like any other (token args, nested multicall). Anything else,
 * including `executeUserOp`, delegatecall and static call modes, a mode selector or payload, and any
 * argument that is not canonically encoded, is one opaque call to the account itself, with the reason.
 * Never throws.
 */
export function decodeAccountCall(parameters: AccountCallParameters): IntentCall[] {
  const accountCall: RawCall = { to: parameters.account, value: 0n, data: parameters.callData }
  const budget = callBudget()
  budget.reserve(1)
  const selector = callEntry(accountCall, root).selector
  switch (selector) {
    case selectors.simpleAccountExecute:
      return decodeSimpleAccountExecute(accountCall, budget)
    case selectors.simpleAccountExecuteBatch:
      return decodeSimpleAccountExecuteBatch(accountCall, budget)
    case selectors.erc7579Execute:
      return decodeErc7579Execute(accountCall, budget)
    case selectors.executeUserOp:
      return [opaqueEntry(accountCall, root, 'executeUserOp hands the whole user operation to the account')]
    default:
      return [
        opaqueEntry(accountCall, root, 'account callData is not execute, executeBatch or ERC-7579 execute'),
      ]
  }
}

function decodeSimpleAccountExecute(accountCall: RawCall, budget: CallBudget): IntentCall[] {
  const args = decodeCanonicalAbi(simpleAccountExecute.inputs, callArguments(accountCall.data))
  if (args === undefined) {
    return [opaqueEntry(accountCall, root, 'execute arguments are not canonically ABI-encoded')]
  }
  const [to, value, data] = args
  return decodeCallAt({ to, value, data }, root, budget)
}

function decodeSimpleAccountExecuteBatch(accountCall: RawCall, budget: CallBudget): IntentCall[] {
  const args = decodeCanonicalAbi(simpleAccountExecuteBatch.inputs, callArguments(accountCall.data))
  if (args === undefined) {
    return [opaqueEntry(accountCall, root, 'executeBatch arguments are not canonically ABI-encoded')]
  }
  const [targets, values, datas] = args
  // SimpleAccount reverts with "wrong array lengths" on these; what would run is not well defined.
  if (targets.length !== datas.length || (values.length !== 0 && values.length !== datas.length)) {
    return [
      opaqueEntry(
        accountCall,
        root,
        `executeBatch has ${targets.length} targets, ${values.length} values and ${datas.length} call datas`,
      ),
    ]
  }
  const calls = targets.map((to, index) => ({ to, value: values[index] ?? 0n, data: datas[index] ?? '0x' }))
  return accountBatch(accountCall, calls, budget)
}

function decodeErc7579Execute(accountCall: RawCall, budget: CallBudget): IntentCall[] {
  const args = decodeCanonicalAbi(erc7579Execute, callArguments(accountCall.data))
  if (args === undefined) {
    return [opaqueEntry(accountCall, root, 'ERC-7579 execute arguments are not canonically ABI-encoded')]
  }
  const [mode, executionCalldata] = args
  const problem = erc7579ModeProblem(mode)
  if (problem !== undefined) return [opaqueEntry(accountCall, root, problem)]
  return slice(mode, 0, 1) === '0x00'
    ? decodeErc7579Single(accountCall, executionCalldata, budget)
    : decodeErc7579Batch(accountCall, executionCalldata, budget)
}

/**
 * Why the ERC-7579 mode is not one we decode, or undefined for call type single or batch with exec
 * type default or try and everything else zero. A mode selector or payload changes what the account
 * does in ways the mode alone does not say, so those are refused rather than ignored.
 */
function erc7579ModeProblem(mode: Hex): string | undefined {
  const callType = slice(mode, 0, 1)
  const execType = slice(mode, 1, 2)
  if (callType === '0xff') return 'ERC-7579 delegatecall mode'
  if (callType === '0xfe') return 'ERC-7579 static call mode'
  if (callType !== '0x00' && callType !== '0x01') return `unknown ERC-7579 call type ${callType}`
  if (execType !== '0x00' && execType !== '0x01') return `unknown ERC-7579 exec type ${execType}`
  if (hexToBigInt(slice(mode, 2, 6)) !== 0n) return 'ERC-7579 mode has non-zero reserved bytes'
  if (hexToBigInt(slice(mode, 6)) !== 0n) return 'ERC-7579 mode selector or payload is set'
  return undefined
}

/** A single execution is packed: 20 bytes of target, 32 of value, then the call data. */
function decodeErc7579Single(accountCall: RawCall, executionCalldata: Hex, budget: CallBudget): IntentCall[] {
  if (executionCalldata.length < 2 + 52 * 2) {
    return [opaqueEntry(accountCall, root, 'ERC-7579 single execution is shorter than 52 bytes')]
  }
  const target = slice(executionCalldata, 0, 20)
  const value = hexToBigInt(slice(executionCalldata, 20, 52))
  const data = executionCalldata.length === 2 + 52 * 2 ? '0x' : slice(executionCalldata, 52)
  return decodeCallAt({ to: target, value, data }, root, budget)
}

function decodeErc7579Batch(accountCall: RawCall, executionCalldata: Hex, budget: CallBudget): IntentCall[] {
  const decoded = decodeCanonicalAbi(erc7579Batch, executionCalldata)
  if (decoded === undefined) {
    return [opaqueEntry(accountCall, root, 'ERC-7579 batch executions are not canonically ABI-encoded')]
  }
  const [executions] = decoded
  const calls = executions.map(({ target, value, callData }) => ({ to: target, value, data: callData }))
  return accountBatch(accountCall, calls, budget)
}

/** A container for the account call, then each call of the batch at "0.0", "0.1", …. */
function accountBatch(accountCall: RawCall, calls: RawCall[], budget: CallBudget): IntentCall[] {
  if (!budget.reserve(calls.length)) {
    return [opaqueEntry(accountCall, root, `more than ${MAX_INTENT_CALLS} calls in one request`)]
  }
  const inner = calls.flatMap((call, index) => decodeCallAt(call, innerPosition(root, index), budget))
  return [{ ...callEntry(accountCall, root), role: 'container' }, ...inner]
}
