import { parseAbiParameters, toFunctionSelector } from 'viem'
import { decodeCanonicalAbi } from './canonicalAbi.js'
import type { IntentCall } from './intent.js'
import {
  type CallBudget,
  type CallPosition,
  callArguments,
  callBudget,
  callEntry,
  innerPosition,
  MAX_CALL_DEPTH,
  MAX_INTENT_CALLS,
  opaqueEntry,
  type RawCall,
} from './intentCall.js'
import { decodeKnownCall } from './knownCalls.js'

/** OpenZeppelin's `Multicall.multicall(bytes[])`, which runs each item as a call to the same contract. */
export const MULTICALL_SELECTOR = toFunctionSelector('multicall(bytes[])')

/** The parameters of `multicall(bytes[])`: one list of call data, each run on the same target. */
export const multicallParameters = parseAbiParameters('bytes[]')

/**
 * Decodes one call the chain will make into its Intent entries, as the only top-level call of a
 * request (path "0"). See {@link decodeCallAt}.
 */
export function decodeCall(call: RawCall): IntentCall[] {
  const budget = callBudget()
  budget.reserve(1)
  return decodeCallAt(call, { path: '0', depth: 0 }, budget)
}

/**
 * Decodes `call`, placed at `at`, into its Intent entries: the call itself, then, for a multicall,
 * every inner call after it, depth first. The caller has already reserved this entry in `budget`.
 *
 * - Empty data is a plain transfer: selector null.
 * - A well-known token function gets `decoded` args; if they are not canonically encoded it is opaque.
 * - `multicall(bytes[])` becomes a container followed by its inner calls, each to the same target
 *   with value 0 and decoded the same way. It stays a single opaque call when its argument is not
 *   canonical, when it sends value (OpenZeppelin's multicall is not payable, and a payable one would
 *   let every inner call spend the same msg.value), when its inner calls would sit deeper than
 *   {@link MAX_CALL_DEPTH}, or when they would take the request past {@link MAX_INTENT_CALLS}.
 * - Any other selector is left for the allow-list: unknown is not opaque.
 *
 * Never throws.
 */
export function decodeCallAt(call: RawCall, at: CallPosition, budget: CallBudget): IntentCall[] {
  const entry = callEntry(call, at)
  if (entry.selector === null || entry.opaque) return [entry]
  if (entry.selector === MULTICALL_SELECTOR) return decodeMulticall(call, at, budget)
  const known = decodeKnownCall(call.data)
  if (known === undefined) return [entry]
  if ('problem' in known) return [{ ...entry, opaque: { reason: known.problem } }]
  return [{ ...entry, decoded: known.decoded }]
}

function decodeMulticall(call: RawCall, at: CallPosition, budget: CallBudget): IntentCall[] {
  const encoded = callArguments(call.data)
  // The count is the second word of a canonical bytes[]; checking it first keeps a huge multicall cheap to refuse.
  if (encoded.length >= 2 + 128 && BigInt(`0x${encoded.slice(66, 130)}`) >= BigInt(MAX_INTENT_CALLS)) {
    return [opaqueEntry(call, at, `more than ${MAX_INTENT_CALLS} calls in one request`)]
  }
  const decoded = decodeCanonicalAbi(multicallParameters, encoded)
  if (decoded === undefined) {
    return [opaqueEntry(call, at, 'multicall(bytes[]) arguments are not canonically ABI-encoded')]
  }
  if (call.value !== 0n) return [opaqueEntry(call, at, 'multicall sent with value')]
  const [items] = decoded
  if (at.depth >= MAX_CALL_DEPTH) {
    return [opaqueEntry(call, at, `multicall nested deeper than ${MAX_CALL_DEPTH}`)]
  }
  if (!budget.reserve(items.length)) {
    return [opaqueEntry(call, at, `more than ${MAX_INTENT_CALLS} calls in one request`)]
  }
  const inner = items.flatMap((data, index) =>
    decodeCallAt({ to: call.to, value: 0n, data }, innerPosition(at, index), budget),
  )
  return [{ ...callEntry(call, at), role: 'container' }, ...inner]
}
