import type { Hex } from 'viem'
import { servedChainOrThrow } from '../chain/servedChain.js'
import { recoverTypedDataSigner } from '../crypto/recoverAddress.js'
import { IntentGateError } from '../errors/index.js'
import type { ForwardRequestBody } from '../intents/forwardRequest.js'
import type { Intent } from '../intents/intent.js'
import {
  type BuildPolicyInputParameters,
  buildPolicyInput,
  policyTemplateOf,
} from '../policy/buildPolicyInput.js'
import type { Decision } from '../policy/decision.js'
import type { InstanceStore } from '../templates/instances.js'
import type { TemplateRegistry } from '../templates/registry.js'
import { normalizeMetaTransaction } from './normalizeMetaTransaction.js'
import type { PipelineDeps } from './pipelineDeps.js'

export type DryRunDeps = Pick<PipelineDeps, 'chains' | 'policies' | 'now'> & {
  instances: Pick<InstanceStore, 'get'>
  registry: Pick<TemplateRegistry, 'get'>
}

export type DryRunRequest = {
  instanceId: string
  /** Unix seconds to decide at; defaults to now. Replays of past traffic pass the time it was decided. */
  now?: number
} & ({ metaTransaction: ForwardRequestBody } | { intent: Intent })

export type DryRunCheck = { ok: boolean; detail?: string }

export type DryRunResult = {
  decision: Decision
  policy: { revision: string; digest: string }
  intent: Intent
  /** What the live pipeline would also check before deciding; absent for an intent given as is. */
  checks?: { signature: DryRunCheck; deadline: DryRunCheck; simulation: DryRunCheck }
  input: unknown
}

/**
 * The operator's dry run: the live pipeline's normalize, verify, simulate and decide for an
 * instance, with no counters, no log and no record. Given an Intent directly, it only decides.
 */
export async function evaluateDryRun(deps: DryRunDeps, request: DryRunRequest): Promise<DryRunResult> {
  const instance = await deps.instances.get(request.instanceId)
  if (!instance)
    throw new IntentGateError('INSTANCE_NOT_FOUND', 'No such instance', { details: request.instanceId })
  const template = await deps.registry.get(instance.templateDigest)
  if (!template)
    throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: instance.templateDigest })
  const now = request.now ?? deps.now()

  let intent: Intent
  let checks: DryRunResult['checks']
  if ('metaTransaction' in request) {
    const body = request.metaTransaction
    const chain = servedChainOrThrow(deps.chains, body.chainId)
    const normalized = await normalizeMetaTransaction(chain, body)
    intent = normalized.intent
    const simulation = await chain.simulateForwardRequest(normalized.request, normalized.executeData)
    checks = {
      signature: checkSignature(normalized, body.signature),
      deadline: checkDeadline(intent, now),
      simulation: simulation.ok ? { ok: true } : { ok: false, detail: simulation.reason },
    }
  } else {
    intent = request.intent
  }

  const decided = decideOnSnapshot(deps.policies, {
    intent,
    template: policyTemplateOf(template, instance),
    instance: { id: instance.id },
    now,
  })
  return {
    decision: decided.decision,
    policy: decided.policy,
    intent,
    ...(checks ? { checks } : {}),
    input: decided.input,
  }
}

/**
 * Decides an Intent on the current policy snapshot, touching nothing: the decision, which policy
 * revision gave it, and the input it was given. Shared by every dry run (operator and preview).
 */
export function decideOnSnapshot(
  policies: PipelineDeps['policies'],
  parameters: BuildPolicyInputParameters,
): { decision: Decision; policy: { revision: string; digest: string }; input: unknown } {
  const policy = policies.current()
  const input = buildPolicyInput(parameters)
  return {
    decision: policy.policy.evaluate(input),
    policy: { revision: policy.revision, digest: policy.digest },
    input,
  }
}

/** Whether `signature` is `from`'s over the request's typed data, at the forwarder's current nonce. */
export function checkSignature(
  normalized: Pick<Awaited<ReturnType<typeof normalizeMetaTransaction>>, 'typedData' | 'nonce' | 'request'>,
  signature: Hex,
): DryRunCheck {
  const { typedData, nonce, request } = normalized
  const signer = recoverTypedDataSigner(typedData, signature)
  return signer?.toLowerCase() === request.from.toLowerCase()
    ? { ok: true }
    : { ok: false, detail: `recovers to ${signer ?? 'nothing'} with nonce ${nonce}` }
}

/** Whether the request is still valid at `now` (unix seconds). */
export function checkDeadline(intent: Pick<Intent, 'validUntil'>, now: number): DryRunCheck {
  return intent.validUntil > now
    ? { ok: true }
    : { ok: false, detail: `deadline ${intent.validUntil} <= ${now}` }
}
