import { policyFailureCodes } from './decision.js'

/**
 * Every reason code a decision can carry, with what it means: the codes the default policy
 * (policies/intentgate) gives, then the ones the gateway gives when a policy cannot decide.
 * Codes are stable; clients and auditors match on them, never on messages.
 */
export const policyReasonCodes = {
  INPUT_INVALID: 'The policy input is malformed; the message names the field. Nothing else is trusted.',
  CONFIG_INVALID: "The bundle's data.intentgate.config is missing or malformed, so every request is denied.",
  CHAIN_NOT_ALLOWED: 'The chain is not one of the chains the template declares.',
  CAPABILITY_MISSING:
    'The template lacks the capability the request kind needs: relay:meta-tx or sponsor:user-op.',
  CALL_OPAQUE: 'A call could not be decoded safely, so what it does cannot be checked.',
  CONTAINER_WITH_VALUE: 'A container (multicall, account batch) sends value itself.',
  TARGET_NOT_ALLOWED: "A call's target, or a multicall's, is not in the template's allow-list.",
  SELECTOR_NOT_ALLOWED: "A call's function is not listed for its target; empty data needs receive() listed.",
  VALUE_OVER_CAP: "A call sends more value than its function's or target's maxValueWei.",
  TX_VALUE_OVER_CAP: "The calls together send more value than the template's maxTxValueWei.",
  TOKEN_AMOUNT_OVER_CAP: "An ERC-20 transfer, transferFrom or approve exceeds the token's cap.",
  GAS_LIMIT_OVER_CAP: "The request's gas limit is above the template's maxGasLimit.",
  FEE_OVER_CAP: "The request's maxFeePerGas is above the template's maxFeePerGasWei.",
  COST_OVER_CAP: "The most the request may cost is above the template's maxCostWei.",
  EXPIRED: 'The request is valid only until a time that is not after now.',
  VALIDITY_TOO_LONG: 'The request stays valid for longer than validity.max_seconds allows.',
  LEVEL_TOO_LOW: "The template's verification level is below a level gate from the data document.",
  ADDRESS_DENIED: 'The sender, a call target or an address a decoded call names is on the deny-list.',
  APPROVAL_REQUIRED:
    'Not a denial: the request is within the template but above its approvals threshold (value or token amount), so it waits for k-of-n operator approval.',
  [policyFailureCodes.error]: 'Evaluation failed inside the policy; the gateway denied, failing closed.',
  [policyFailureCodes.undefined]: 'The policy produced no decision for this input; the gateway denied.',
  [policyFailureCodes.builtinMissing]: 'The policy needs a builtin the gateway does not provide; denied.',
  [policyFailureCodes.resultInvalid]: 'The policy returned something that is not a decision; denied.',
} as const satisfies Record<string, string>

export type PolicyReasonCode = keyof typeof policyReasonCodes
