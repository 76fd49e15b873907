import { type Address, getAddress, type Hex, keccak256, size, slice } from 'viem'
import type { IntentCall } from './intent.js'

/**
 * Most entries (calls and containers) one request may expand to. A container whose inner calls
 * would go past it is not expanded but marked opaque, so a huge batch is denied rather than
 * partly checked.
 */
export const MAX_INTENT_CALLS = 64

/** Deepest `depth` an entry may have; a multicall whose inner calls would sit deeper stays opaque. */
export const MAX_CALL_DEPTH = 4

/** A call as the chain executes it: target, native value and call data. */
export type RawCall = { to: Address; value: bigint; data: Hex }

/** Where an entry sits in the flattened call list. */
export type CallPosition = { path: string; depth: number }

/** The shared allowance of entries for one request; a container reserves all its inner calls at once. */
export type CallBudget = { reserve(count: number): boolean }

/** A fresh allowance of {@link MAX_INTENT_CALLS} entries for one request. */
export function callBudget(total: number = MAX_INTENT_CALLS): CallBudget {
  let remaining = total
  return {
    reserve(count) {
      if (count > remaining) return false
      remaining -= count
      return true
    },
  }
}

/** The position of the `index`th inner call of the container at `parent`. */
export function innerPosition(parent: CallPosition, index: number): CallPosition {
  return { path: `${parent.path}.${index}`, depth: parent.depth + 1 }
}

/**
 * The entry for `call` before any decoding: its selector, and the hash and length of its data so
 * the attested intent pins the exact bytes. Data of 1 to 3 bytes has no selector and is opaque:
 * the target's fallback would see it, and no policy can say what it does.
 */
export function callEntry(call: RawCall, at: CallPosition): IntentCall {
  const dataLength = size(call.data)
  const entry: IntentCall = {
    path: at.path,
    depth: at.depth,
    role: 'call',
    to: getAddress(call.to),
    value: call.value.toString(),
    selector: dataLength >= 4 ? (slice(call.data, 0, 4).toLowerCase() as Hex) : null,
    dataHash: keccak256(call.data),
    dataLength,
  }
  if (dataLength > 0 && dataLength < 4)
    entry.opaque = { reason: `call data of ${dataLength} bytes has no selector` }
  return entry
}

/** The entry for `call`, marked opaque for `reason`; the default policy denies it. */
export function opaqueEntry(call: RawCall, at: CallPosition, reason: string): IntentCall {
  return { ...callEntry(call, at), opaque: { reason } }
}

/** The bytes after the 4-byte selector: `0x` when there are none. Call data must be at least 4 bytes. */
export function callArguments(data: Hex): Hex {
  return `0x${data.slice(10)}`
}
