import type { Address, Hex } from 'viem'
import type { ForwardedCallSimulation } from '../chain/simulateForwardedCall.js'
import type { Reason } from '../errors/index.js'
import type { Intent } from '../intents/intent.js'
import type { Decision, LimitRequest } from '../policy/decision.js'
import { verificationLevelNames } from '../templates/manifest.js'
import { decodeTokenEvents, type TokenEvent } from './decodeTokenEvents.js'
import type { CallDescription } from './describeCalls.js'

/** A check the live pipeline makes before it decides, and what it found. */
export type PreviewCheck = { ok: boolean; detail?: string }

/** Who stands behind the app: the template, its publisher and how far it was verified. */
export type TemplateBadge = {
  id: string
  version: string
  publisher: string
  digest: string
  verificationLevel: number
  /** `draft`, `reviewed`, `audited` or `certified`. */
  verificationLevelName: string
}

/** What running the request would do, as the chain simulated it. */
export type PreviewEffects = {
  source: ForwardedCallSimulation['source']
  status: ForwardedCallSimulation['status']
  revertReason?: string
  /** Gas the forwarded call's execution needs, decimal; compare with the request's `gas`. */
  gasUsed?: string
  /** Token transfers and approvals, in order; absent when the node could not report logs. */
  events?: TokenEvent[]
  /** Logs that are not token events; absent with `events`. */
  otherLogs?: number
  /** Why the node was asked with eth_call instead of eth_simulateV1. */
  fallbackReason?: string
}

/** The body of `POST /v1/preview`. */
export type PreviewAnswer = {
  /**
   * Whether the gateway would approve this request now, had it a valid signature: the policy's
   * decision with the pipeline's own checks folded in. Limits are not counted in a preview.
   */
  decision: {
    allow: boolean
    reasons: Reason[]
    /** Present when the policy would hold the request for k-of-n operator approval. */
    approvals?: { required: number; reason: string }
  }
  checks: { deadline: PreviewCheck; simulation: PreviewCheck; signature?: PreviewCheck }
  policy: { revision: string; digest: string }
  template: TemplateBadge
  calls: CallDescription[]
  effects: PreviewEffects
  gas: { requestGas: string; relayGasLimit: string; maxFeePerGas: string; maxCostWei: string }
  /** What the user signs: the EIP-712 digest (the request id once submitted) at the forwarder's current nonce. */
  request: { digest: Hex; chainId: number; sender: Address; nonce: string; validUntil: number }
  /** The counters an approval would add to, had the policy allowed it. */
  limits: Omit<LimitRequest, 'keyParts'>[]
}

/** Builds the preview answer from what the dry run found. Pure. */
export function buildPreview(parameters: {
  intent: Intent
  requestGas: bigint
  decision: Decision
  policy: { revision: string; digest: string }
  template: Omit<TemplateBadge, 'verificationLevelName'>
  calls: CallDescription[]
  simulation: ForwardedCallSimulation
  checks: { deadline: PreviewCheck; signature?: PreviewCheck }
}): PreviewAnswer {
  const { intent, decision, simulation, template } = parameters
  const simulationCheck: PreviewCheck =
    simulation.status === 'success'
      ? { ok: true }
      : { ok: false, detail: simulation.revertReason ?? 'reverted' }
  const checks = { ...parameters.checks, simulation: simulationCheck }

  const checkReasons: Reason[] = []
  if (checks.signature && !checks.signature.ok)
    checkReasons.push({
      code: 'REQUEST_SIGNATURE_INVALID',
      message: `not signed by from for this chain, forwarder and nonce: ${checks.signature.detail}`,
    })
  if (!checks.deadline.ok)
    checkReasons.push({ code: 'REQUEST_EXPIRED', message: checks.deadline.detail ?? 'expired' })
  if (!simulationCheck.ok)
    checkReasons.push({ code: 'SIMULATION_REVERTED', message: simulationCheck.detail ?? 'reverted' })
  const reasons = [...checkReasons, ...decision.reasons]

  return {
    decision: {
      allow: decision.allow && checkReasons.length === 0,
      reasons,
      ...(decision.approvals ? { approvals: decision.approvals } : {}),
    },
    checks,
    policy: parameters.policy,
    template: {
      ...template,
      verificationLevelName: verificationLevelNames[template.verificationLevel] ?? 'unknown',
    },
    calls: parameters.calls,
    effects: effectsOf(simulation),
    gas: {
      requestGas: parameters.requestGas.toString(),
      relayGasLimit: intent.gas.limit,
      maxFeePerGas: intent.gas.maxFeePerGas,
      maxCostWei: intent.gas.maxCostWei,
    },
    request: {
      digest: intent.requestDigest,
      chainId: intent.chainId,
      sender: intent.sender,
      nonce: intent.nonce,
      validUntil: intent.validUntil,
    },
    limits: decision.allow ? decision.limits.map(({ keyParts: _keyParts, ...limit }) => limit) : [],
  }
}

function effectsOf(simulation: ForwardedCallSimulation): PreviewEffects {
  const decoded = simulation.logs ? decodeTokenEvents(simulation.logs) : undefined
  return {
    source: simulation.source,
    status: simulation.status,
    ...(simulation.revertReason === undefined ? {} : { revertReason: simulation.revertReason }),
    ...(simulation.gasUsed === undefined ? {} : { gasUsed: simulation.gasUsed.toString() }),
    ...(decoded ? { events: decoded.events, otherLogs: decoded.otherLogs } : {}),
    ...(simulation.fallbackReason === undefined ? {} : { fallbackReason: simulation.fallbackReason }),
  }
}
