import type { Hex } from 'viem'
import type { AppAuthorizer } from '../auth/authorizeApp.js'
import type { CapabilityClaims } from '../auth/capabilityToken.js'
import { servedChainOrThrow } from '../chain/servedChain.js'
import { simulateForwardedCall } from '../chain/simulateForwardedCall.js'
import { IntentGateError } from '../errors/index.js'
import type { ForwardRequestBody } from '../intents/forwardRequest.js'
import { buildPreview, type PreviewAnswer } from '../preview/buildPreview.js'
import { describeCalls } from '../preview/describeCalls.js'
import type { TemplateRegistry } from '../templates/registry.js'
import { checkDeadline, checkSignature, decideOnSnapshot } from './evaluateDryRun.js'
import { normalizeMetaTransaction } from './normalizeMetaTransaction.js'
import type { PipelineDeps } from './pipelineDeps.js'

/** What a preview reads: chains, the token's revocable state, templates and the policy. It writes nothing. */
export type PreviewDeps = Pick<PipelineDeps, 'chains' | 'policies' | 'now'> & {
  authorizer: Pick<AppAuthorizer, 'authorizeClaims'>
  registry: Pick<TemplateRegistry, 'get'>
}

/** A meta-transaction as `POST /v1/meta-transactions` takes it, but not necessarily signed yet. */
export type PreviewRequestBody = Omit<ForwardRequestBody, 'signature'> & { signature?: Hex | undefined }

// The relay's gas limit counts the signature's calldata; before there is one, count 65 bytes at
// the non-zero byte price, which no real signature exceeds. It never reaches a signature check.
const unsignedPlaceholder: Hex = `0x${'ff'.repeat(65)}`

/**
 * `POST /v1/preview`: what the gateway would decide for a meta-transaction and what it would do,
 * before the user signs it. Runs the pipeline's authorize, normalize, verify (signature only when
 * given), simulate and decide stages on the current policy, then describes each call with the
 * template's descriptions. It reserves no limit, claims no nonce, writes no record and attests
 * nothing, so previewing is free of consequences; a token or instance that is revoked, or a kill
 * switch, is the same error here as on submission.
 */
export async function previewMetaTransaction(
  deps: PreviewDeps,
  parameters: { claims: CapabilityClaims; body: PreviewRequestBody },
): Promise<PreviewAnswer> {
  const { claims, body } = parameters
  const chain = servedChainOrThrow(deps.chains, body.chainId)
  const session = await deps.authorizer.authorizeClaims(claims, { chainId: chain.chainId })
  const [template, normalized] = await Promise.all([
    deps.registry.get(session.template.digest),
    normalizeMetaTransaction(chain, { ...body, signature: body.signature ?? unsignedPlaceholder }),
  ])
  if (!template)
    throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: session.template.digest })
  const now = deps.now()
  const { intent, request } = normalized

  const simulation = await simulateForwardedCall(chain, request)
  const signature = body.signature === undefined ? undefined : checkSignature(normalized, body.signature)
  const decided = decideOnSnapshot(deps.policies, {
    intent,
    template: {
      id: session.template.id,
      digest: session.template.digest,
      verificationLevel: session.template.verificationLevel,
      capabilities: claims.cap,
      intent: session.instance.intent,
    },
    instance: { id: session.instance.id },
    now,
  })

  return buildPreview({
    intent,
    requestGas: body.gas,
    decision: decided.decision,
    policy: decided.policy,
    template: {
      id: template.id,
      version: template.version,
      publisher: template.publisher,
      digest: template.digest,
      verificationLevel: template.verificationLevel,
    },
    calls: describeCalls({
      calls: intent.calls,
      allowed: session.instance.intent.calls,
      rootData: body.data,
    }),
    simulation,
    checks: { deadline: checkDeadline(intent, now), ...(signature ? { signature } : {}) },
  })
}
