import { servedChainOrThrow } from '../chain/servedChain.js'
import { recoverTypedDataSigner } from '../crypto/recoverAddress.js'
import { IntentGateError } from '../errors/index.js'
import type { ForwardRequestBody } from '../intents/forwardRequest.js'
import type { Intent } from '../intents/intent.js'
import { buildPolicyInput } from '../policy/buildPolicyInput.js'
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
    const { typedData, nonce } = normalized
    const signer = recoverTypedDataSigner(typedData, body.signature)
    const simulation = await chain.simulateForwardRequest(normalized.request)
    checks = {
      signature:
        signer?.toLowerCase() === body.from.toLowerCase()
          ? { ok: true }
          : { ok: false, detail: `recovers to ${signer ?? 'nothing'} with nonce ${nonce}` },
      deadline:
        intent.validUntil > now
          ? { ok: true }
          : { ok: false, detail: `deadline ${intent.validUntil} <= ${now}` },
      simulation: simulation.ok ? { ok: true } : { ok: false, detail: simulation.reason },
    }
  } else {
    intent = request.intent
  }

  const policy = deps.policies.current()
  const input = buildPolicyInput({
    intent,
    template: {
      id: template.id,
      digest: template.digest,
      verificationLevel: template.verificationLevel,
      capabilities: template.manifest.capabilities,
      intent: instance.intent,
    },
    instance: { id: instance.id },
    now,
  })
  return {
    decision: policy.policy.evaluate(input),
    policy: { revision: policy.revision, digest: policy.digest },
    intent,
    ...(checks ? { checks } : {}),
    input,
  }
}
