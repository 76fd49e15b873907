import { IntentGateError } from '../errors/index.js'
import { subjectOf } from '../pipeline/authorizeSubject.js'
import { policyInputFor } from '../pipeline/submitMetaTransaction.js'
import {
  type PaymasterFields,
  paymasterFieldsOf,
  sponsorshipIntentOf,
  stubPaymasterData,
} from './paymasterFields.js'
import { assertInstanceHint, authorizationOf } from './sponsorContext.js'
import { assertSponsorTarget, type SponsorDeps } from './sponsorDeps.js'
import type { SponsorUserOperationParameters } from './sponsorUserOperation.js'

export type PreviewSponsorshipReturnType = PaymasterFields & { isFinal: false }

/**
 * pm_getPaymasterStubData: a provisional decision, so a denial fails fast before the client
 * estimates gas. The token, instance and template are checked and the policy decides on the op
 * as it stands (its gas limits may still be zero), with no counter touched, nothing logged and
 * nothing signed. The answer is stub paymaster fields with this paymaster's real gas limits, so
 * estimation with them matches the op that will be sponsored.
 */
export async function previewSponsorship(
  deps: Pick<
    SponsorDeps,
    'chain' | 'authorizer' | 'policies' | 'now' | 'windowSeconds' | 'assertPaymasterTrustsSigner'
  >,
  parameters: SponsorUserOperationParameters,
): Promise<PreviewSponsorshipReturnType> {
  const { chain } = deps
  assertSponsorTarget(chain, parameters)
  const session = await deps.authorizer.authorize(
    authorizationOf(parameters.authorization, parameters.context),
    {
      chainId: chain.chainId,
    },
  )
  assertInstanceHint(parameters.context, session.instance.id)
  await deps.assertPaymasterTrustsSigner()

  const now = deps.now()
  const { userOp, intent } = sponsorshipIntentOf(chain, {
    userOp: parameters.userOp,
    now,
    windowSeconds: deps.windowSeconds,
  })
  const decision = deps.policies
    .current()
    .policy.evaluate(policyInputFor(session, { subject: subjectOf(session), intent, now }))
  // A request the policy would hold for approval is not refused here: pm_getPaymasterData holds it.
  if (!decision.allow && !decision.approvals) {
    throw new IntentGateError('POLICY_DENIED', 'Denied by policy', { reasons: decision.reasons })
  }
  return { ...paymasterFieldsOf(userOp, stubPaymasterData(intent.validUntil)), isFinal: false }
}
