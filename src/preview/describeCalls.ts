import type { Address, Hex } from 'viem'
import { verifiedCallData } from '../intents/callDataAtPath.js'
import type { IntentCall } from '../intents/intent.js'
import type { ResolvedCall } from '../templates/resolveInstanceIntent.js'
import { type DescriptionPart, renderDescription, safeText } from './renderDescription.js'

/** One call of a request, described for the person about to sign it. */
export type CallDescription = {
  path: string
  depth: number
  role: IntentCall['role']
  to: Address
  /** Native value sent with the call, decimal wei. */
  value: string
  selector: Hex | null
  /** The canonical signature of the template's function with this selector on this target, if listed. */
  function?: string
  /**
   * What the call does: from the template's description with its arguments filled in
   * (`source: "template"`), or what the gateway can tell on its own (`source: "gateway"`), which
   * is all a UI should claim for a call the template does not describe.
   */
  description: { source: 'template' | 'gateway'; text: string; parts: DescriptionPart[] }
  /** Set when the call could not be decoded safely; the policy denies it. */
  opaque?: { reason: string }
}

/**
 * Describes each entry of a meta-transaction's Intent with the instance's allow-list: the listed
 * function's description rendered with the call's own arguments, read from the request's call
 * data (inner multicall items included) and checked against the entry's `dataHash`. Pure.
 */
export function describeCalls(parameters: {
  calls: readonly IntentCall[]
  allowed: readonly ResolvedCall[]
  /** The request's top-level call data, which every entry's data is found in. */
  rootData: Hex
}): CallDescription[] {
  const { calls, allowed, rootData } = parameters
  return calls.map((call) => {
    const listed = allowed
      .find((entry) => entry.to === call.to)
      ?.functions.find((entry) => entry.selector === call.selector)
    const common = {
      path: call.path,
      depth: call.depth,
      role: call.role,
      to: call.to,
      value: call.value,
      selector: call.selector,
      ...(listed ? { function: listed.signature } : {}),
      ...(call.opaque ? { opaque: call.opaque } : {}),
    }
    const data = listed?.description === undefined ? undefined : verifiedCallData(rootData, call)
    const rendered =
      listed?.description !== undefined && data !== undefined
        ? renderDescription(listed.description, listed.signature, data)
        : undefined
    if (rendered && !call.opaque) return { ...common, description: { source: 'template', ...rendered } }
    const text = gatewayText(call, calls, listed?.signature)
    return { ...common, description: { source: 'gateway', text, parts: [{ text }] } }
  })
}

/** What the gateway says of a call the template does not describe: only facts from the Intent. */
function gatewayText(call: IntentCall, calls: readonly IntentCall[], signature: string | undefined): string {
  const value = call.value === '0' ? '' : ` with ${call.value} wei`
  if (call.opaque) return `Call ${call.to}${value}, which cannot be read: ${safeText(call.opaque.reason)}`
  if (call.role === 'container') {
    const inner = calls.filter(
      (entry) => entry.depth === call.depth + 1 && entry.path.startsWith(`${call.path}.`),
    ).length
    return `Run ${inner} call${inner === 1 ? '' : 's'} on ${call.to} in one multicall`
  }
  if (call.selector === null)
    return call.value === '0' ? `Call ${call.to} with no data` : `Send ${call.value} wei to ${call.to}`
  if (signature) return `Call ${signature} on ${call.to}${value}`
  return `Call function ${call.selector} on ${call.to}${value}, which this template does not list`
}
