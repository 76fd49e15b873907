import type { Hex } from 'viem'
import type { ForwardRequestData } from '../intents/forwardRequest.js'

/**
 * The gas limit of the outer transaction that calls `ERC2771Forwarder.execute(request)`.
 *
 * OpenZeppelin 5's forwarder makes the inner call with `call(request.gas, …)` and then, in
 * `_checkForwardedGas`, executes `invalid()` (the whole transaction fails, all gas spent) when
 * `gasleft() < request.gas / 63` after the call. That check exists so a relayer cannot starve the
 * inner call: by EIP-150 a CALL passes at most 63/64 of the gas available, so with too little gas the
 * inner call runs out while the forwarder would otherwise mark the nonce used. To pass honestly, the
 * gas available at the CALL, X, must satisfy `X - floor(X / 64) >= request.gas`, that is
 * `X >= ceil(request.gas * 64 / 63)`, which also leaves `gasleft() >= request.gas / 63` afterwards
 * even when the inner call spends all of request.gas.
 *
 *   limit = max(
 *     21,000 + calldataGas(execute calldata)        intrinsic cost (EIP-2028: 4 per zero byte, 16 per other)
 *       + PRE_CALL_GAS + DATA_WORD_GAS * words(data) decode, EIP-712 hash, ecrecover, isTrustedForwarder
 *                                                   staticcall, nonce SLOAD/SSTORE (cold, zero to non-zero)
 *       + VALUE_TRANSFER_GAS when value > 0         CALL with value (EIP-2929 schedule)
 *       + ceil(request.gas * 64 / 63)               the 63/64 rule, so the inner call gets all of request.gas
 *       + POST_CALL_GAS,                            the check, the ExecutedForwardRequest event, return
 *     21,000 + 10 * calldataTokens                  EIP-7623 calldata floor (Prague)
 *   )
 *
 * The constants carry margin over what the fixture's forwarder (solc 0.8.28, 200 runs) spends; the
 * integration test runs the computed limit on Anvil and checks it passes while less does not.
 */

/** Work before the inner CALL: ABI decoding, EIP-712 hashing, ecrecover, target check, nonce update. */
export const PRE_CALL_GAS = 50_000n
/** Per 32-byte word of request.data: hashing it, copying it into memory twice and memory growth. */
export const DATA_WORD_GAS = 60n
/** A CALL that sends value: 9,000 for the transfer, less the 2,300 stipend the callee receives, rounded up. */
export const VALUE_TRANSFER_GAS = 9_000n
/** Work after the inner CALL: the 63/64 check, the event, returning. */
export const POST_CALL_GAS = 10_000n

const TRANSACTION_BASE_GAS = 21_000n

/**
 * `execute((address,address,uint256,uint256,uint48,bytes,bytes))`'s selector: the calldata the
 * relayer sends starts with it (the unit test checks it against viem's from the ABI).
 */
const executeSelector = 'df905caf'
const uint256Max = (1n << 256n) - 1n
const uint48Max = (1n << 48n) - 1n
const addressPattern = /^0x[0-9a-fA-F]{40}$/
const bytesPattern = /^0x(?:[0-9a-fA-F]{2})*$/

/**
 * Calldata of `execute(request)` as the relayer sends it: the ABI encoding of the one tuple
 * argument, written word by word (it runs once per meta-transaction; the unit test checks it
 * equals viem's encodeFunctionData for random requests). An address or bytes that are not hex, or
 * a number outside its type, throws; an address's letter case is not checked against its EIP-55
 * checksum (the request schema has already checksummed it).
 */
export function encodeForwarderExecute(request: ForwardRequestData): Hex {
  const { from, to, value, gas, deadline, data, signature } = request
  if (!addressPattern.test(from) || !addressPattern.test(to)) throw new RangeError('not an address')
  if (!bytesPattern.test(data) || !bytesPattern.test(signature)) throw new RangeError('not hex bytes')
  const dataWords = paddedWords(data)
  const offsetOfSignature = 7 * 32 + 32 + dataWords.length / 2
  return `0x${executeSelector}${uintWord(32n, uint256Max)}${addressWord(from)}${addressWord(to)}${uintWord(value, uint256Max)}${uintWord(gas, uint256Max)}${uintWord(BigInt(deadline), uint48Max)}${uintWord(224n, uint256Max)}${uintWord(BigInt(offsetOfSignature), uint256Max)}${uintWord(BigInt((data.length - 2) / 2), uint256Max)}${dataWords}${uintWord(BigInt((signature.length - 2) / 2), uint256Max)}${paddedWords(signature)}`
}

function uintWord(value: bigint, max: bigint): string {
  if (value < 0n || value > max) throw new RangeError(`${value} does not fit the ABI type`)
  return value.toString(16).padStart(64, '0')
}

function addressWord(address: string): string {
  return `000000000000000000000000${address.slice(2).toLowerCase()}`
}

/** The bytes' hex, lower-cased and padded with zeros to whole 32-byte words. */
function paddedWords(bytes: string): string {
  const hex = bytes.slice(2).toLowerCase()
  const rest = hex.length % 64
  return rest === 0 ? hex : hex + '0'.repeat(64 - rest)
}

/** Gas available at the CALL that passes `request.gas` in full (EIP-150's 63/64 rule): ceil(gas * 64 / 63). */
export function gasToForward(requestGas: bigint): bigint {
  if (requestGas < 0n) throw new RangeError('request.gas must not be negative')
  return (requestGas * 64n + 62n) / 63n
}

/**
 * Gas limit for relaying `request` through `ERC2771Forwarder.execute`; see the formula above.
 * `executeData` is `encodeForwarderExecute(request)`, when the caller has it already.
 */
export function forwarderExecuteGasLimit(
  request: ForwardRequestData,
  executeData: Hex = encodeForwarderExecute(request),
): bigint {
  // Zero bytes are counted on the hex, which is never decoded to bytes.
  let zeros = 0
  for (let index = 2; index < executeData.length; index += 2) {
    if (executeData.charCodeAt(index) === 48 && executeData.charCodeAt(index + 1) === 48) zeros++
  }
  const zeroBytes = BigInt(zeros)
  const otherBytes = BigInt((executeData.length - 2) / 2) - zeroBytes
  const dataWords = BigInt(Math.ceil(((request.data.length - 2) / 2 + 20) / 32))

  const standard =
    TRANSACTION_BASE_GAS +
    zeroBytes * 4n +
    otherBytes * 16n +
    PRE_CALL_GAS +
    DATA_WORD_GAS * dataWords +
    (request.value > 0n ? VALUE_TRANSFER_GAS : 0n) +
    gasToForward(request.gas) +
    POST_CALL_GAS
  const floor = TRANSACTION_BASE_GAS + 10n * (zeroBytes + otherBytes * 4n)
  return standard > floor ? standard : floor
}
