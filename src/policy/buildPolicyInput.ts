import type { DecodedCall, Intent, IntentCall } from '../intents/intent.js'
import type {
  ResolvedApprovals,
  ResolvedCall,
  ResolvedFunction,
  ResolvedIntent,
  ResolvedLimit,
  ResolvedTokenCap,
} from '../templates/resolveInstanceIntent.js'

/** The template as the policy sees it: what it is, how far it is trusted, and what it allows. */
export type PolicyTemplate = {
  id: string
  /** `sha256:<hex>` of the signed manifest. */
  digest: string
  /** 0 draft, 1 reviewed, 2 audited, 3 certified. */
  verificationLevel: number
  /** What the template may do; the capability token carries them. */
  capabilities: readonly string[]
  /** The template's intent resolved for the instance: stored with it, compared against the request. */
  intent: ResolvedIntent
}

/**
 * The policy's view of a stored template and the instance it was resolved for: what the live
 * pipeline's stored session, the operator's dry run and replays of logged decisions all pass in.
 */
export function policyTemplateOf(
  template: {
    id: string
    digest: string
    verificationLevel: number
    manifest: { capabilities: readonly string[] }
  },
  instance: { intent: ResolvedIntent },
): PolicyTemplate {
  return {
    id: template.id,
    digest: template.digest,
    verificationLevel: template.verificationLevel,
    capabilities: template.manifest.capabilities,
    intent: instance.intent,
  }
}

export type BuildPolicyInputParameters = {
  intent: Intent
  template: PolicyTemplate
  instance: { id: string }
  /** Unix seconds at which the request is decided. The policy never reads a clock of its own. */
  now: number
}

/** The document the policy evaluates, exactly. Plain JSON: amounts are decimal strings. */
export type PolicyInputDocument = {
  intent: Intent
  template: {
    id: string
    digest: string
    verificationLevel: number
    capabilities: string[]
    intent: ResolvedIntent
  }
  instance: { id: string }
  now: number
}

/**
 * Builds the input of the `intentgate/decision` policy from a normalized intent and the
 * template and instance it is checked against.
 *
 * The document carries only the fields of the types above, copied field by field: whatever
 * else the records passed in hold (instance params, stored state) never reaches the policy,
 * and an optional field that is absent is left out rather than written as undefined. Nothing is converted: amounts stay the decimal strings
 * of the Intent and the template, which the policy compares without loss of precision, and
 * addresses keep their EIP-55 case, which the policy ignores when comparing.
 *
 * @example
 * ```json
 * {
 *   "intent": {
 *     "kind": "meta-tx",
 *     "chainId": 8453,
 *     "sender": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
 *     "calls": [
 *       {
 *         "path": "0", "depth": 0, "role": "call",
 *         "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
 *         "value": "0", "selector": "0x0121b93f",
 *         "dataHash": "0x…", "dataLength": 36
 *       }
 *     ],
 *     "gas": { "limit": "200000", "maxFeePerGas": "1000000000", "maxCostWei": "200000000000000" },
 *     "validUntil": 1767226200,
 *     "nonce": "0",
 *     "requestDigest": "0x…"
 *   },
 *   "template": {
 *     "id": "community-poll",
 *     "digest": "sha256:3b7f…",
 *     "verificationLevel": 2,
 *     "capabilities": ["relay:meta-tx"],
 *     "intent": {
 *       "chains": [8453],
 *       "calls": [
 *         {
 *           "to": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
 *           "maxValueWei": "0",
 *           "functions": [{ "signature": "vote(uint256)", "selector": "0x0121b93f" }]
 *         }
 *       ],
 *       "tokenCaps": [],
 *       "limits": [
 *         {
 *           "id": "sender-count-1d", "scope": "sender", "metric": "count",
 *           "window": "1d", "windowKind": "utc-day", "windowSeconds": 86400, "max": "50"
 *         }
 *       ],
 *       "gas": { "maxGasLimit": "500000", "maxFeePerGasWei": "50000000000", "maxCostWei": "25000000000000000" }
 *     }
 *   },
 *   "instance": { "id": "inst-01" },
 *   "now": 1767225600
 * }
 * ```
 *
 * Calls appear flattened in execution order: a container (a multicall, an account's batch)
 * has role `container` and is followed by its inner calls, whose paths extend its own. A call
 * may carry `decoded` (a known token call's arguments) or `opaque` (why it could not be decoded).
 */
export function buildPolicyInput(parameters: BuildPolicyInputParameters): PolicyInputDocument {
  const { intent, template, instance, now } = parameters
  return {
    intent: {
      kind: intent.kind,
      chainId: intent.chainId,
      sender: intent.sender,
      calls: intent.calls.map(copyCall),
      gas: {
        limit: intent.gas.limit,
        maxFeePerGas: intent.gas.maxFeePerGas,
        maxCostWei: intent.gas.maxCostWei,
      },
      validUntil: intent.validUntil,
      nonce: intent.nonce,
      requestDigest: intent.requestDigest,
    },
    template: {
      id: template.id,
      digest: template.digest,
      verificationLevel: template.verificationLevel,
      capabilities: [...template.capabilities],
      intent: copyResolvedIntent(template.intent),
    },
    instance: { id: instance.id },
    now,
  }
}

function copyCall(call: IntentCall): IntentCall {
  return {
    path: call.path,
    depth: call.depth,
    role: call.role,
    to: call.to,
    value: call.value,
    selector: call.selector,
    dataHash: call.dataHash,
    dataLength: call.dataLength,
    ...(call.decoded === undefined ? {} : { decoded: copyDecoded(call.decoded) }),
    ...(call.opaque === undefined ? {} : { opaque: { reason: call.opaque.reason } }),
  }
}

// Each variant is rebuilt from its own fields, so the copy has exactly the shape the policy
// checks (input.rego), whatever else the object held.
function copyDecoded(decoded: DecodedCall): DecodedCall {
  switch (decoded.standard) {
    case 'erc20':
      if (decoded.function === 'transfer') {
        const { to, amount } = decoded.args
        return { standard: decoded.standard, function: decoded.function, args: { to, amount } }
      }
      return {
        standard: decoded.standard,
        function: decoded.function,
        args: { spender: decoded.args.spender, amount: decoded.args.amount },
      }
    case 'erc20-or-erc721': {
      const { from, to, amount } = decoded.args
      return { standard: decoded.standard, function: decoded.function, args: { from, to, amount } }
    }
    case 'erc721': {
      const { from, to, tokenId } = decoded.args
      return { standard: decoded.standard, function: decoded.function, args: { from, to, tokenId } }
    }
    case 'erc721-or-erc1155': {
      const { operator, approved } = decoded.args
      return { standard: decoded.standard, function: decoded.function, args: { operator, approved } }
    }
    case 'erc1155':
      if (decoded.function === 'safeTransferFrom') {
        const { from, to, id, amount } = decoded.args
        return { standard: decoded.standard, function: decoded.function, args: { from, to, id, amount } }
      }
      return {
        standard: decoded.standard,
        function: decoded.function,
        args: {
          from: decoded.args.from,
          to: decoded.args.to,
          ids: [...decoded.args.ids],
          amounts: [...decoded.args.amounts],
        },
      }
  }
}

function copyResolvedIntent(intent: ResolvedIntent): ResolvedIntent {
  return {
    chains: [...intent.chains],
    calls: intent.calls.map(copyResolvedCall),
    tokenCaps: intent.tokenCaps.map(copyTokenCap),
    ...(intent.maxTxValueWei === undefined ? {} : { maxTxValueWei: intent.maxTxValueWei }),
    limits: intent.limits.map(copyLimit),
    gas: {
      maxGasLimit: intent.gas.maxGasLimit,
      maxFeePerGasWei: intent.gas.maxFeePerGasWei,
      maxCostWei: intent.gas.maxCostWei,
    },
    ...(intent.approvals === undefined ? {} : { approvals: copyApprovals(intent.approvals) }),
  }
}

function copyApprovals(approvals: ResolvedApprovals): ResolvedApprovals {
  return {
    required: approvals.required,
    ...(approvals.valueAboveWei === undefined ? {} : { valueAboveWei: approvals.valueAboveWei }),
    ...(approvals.tokenAmountsAbove === undefined
      ? {}
      : {
          tokenAmountsAbove: approvals.tokenAmountsAbove.map(({ token, amount }) => ({ token, amount })),
        }),
  }
}

function copyResolvedCall(call: ResolvedCall): ResolvedCall {
  return { to: call.to, maxValueWei: call.maxValueWei, functions: call.functions.map(copyFunction) }
}

function copyFunction(allowed: ResolvedFunction): ResolvedFunction {
  return {
    signature: allowed.signature,
    selector: allowed.selector,
    ...(allowed.description === undefined ? {} : { description: allowed.description }),
    ...(allowed.maxValueWei === undefined ? {} : { maxValueWei: allowed.maxValueWei }),
  }
}

function copyTokenCap(cap: ResolvedTokenCap): ResolvedTokenCap {
  return {
    token: cap.token,
    ...(cap.maxTransferAmount === undefined ? {} : { maxTransferAmount: cap.maxTransferAmount }),
    ...(cap.maxApproveAmount === undefined ? {} : { maxApproveAmount: cap.maxApproveAmount }),
  }
}

function copyLimit(limit: ResolvedLimit): ResolvedLimit {
  const { id, scope, metric, window, windowKind, windowSeconds, max } = limit
  return { id, scope, metric, window, windowKind, windowSeconds, max }
}
