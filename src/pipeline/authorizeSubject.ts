import type { AppSession } from '../auth/authorizeApp.js'
import type { CapabilityClaims } from '../auth/capabilityToken.js'
import { IntentGateError } from '../errors/index.js'
import type { DecisionSubject, PipelineDeps } from './pipelineDeps.js'

export type SubjectCheck =
  | { ok: true; session: AppSession; subject: DecisionSubject }
  | { ok: false; error: IntentGateError; subject: DecisionSubject }

/**
 * Checks the revocable state behind verified token claims (revocations, expiry, kill switches for
 * the request's chain). A refusal here comes after the request was normalized, so it is a
 * decision like any other and the caller attests it; only dependency failures are thrown.
 */
export async function authorizeSubject(
  deps: Pick<PipelineDeps, 'authorizer' | 'registry'>,
  claims: CapabilityClaims,
  chainId: number,
): Promise<SubjectCheck> {
  try {
    const session = await deps.authorizer.authorizeClaims(claims, { chainId })
    return { ok: true, session, subject: subjectOf(session) }
  } catch (error) {
    if (!(error instanceof IntentGateError) || error.status >= 500) throw error
    const template = await deps.registry.state(claims.tdg)
    const subject: DecisionSubject = {
      instanceId: claims.sub,
      templateId: template?.id ?? 'unknown',
      templateDigest: claims.tdg,
      ...(claims.att ? { att: claims.att } : {}),
    }
    return { ok: false, error, subject }
  }
}

/**
 * The same checks again for a session `authorizeSubject` let through, just before its decision
 * is committed, so a revocation or kill switch that landed meanwhile still stops it. Only what
 * can change is read again (see AppAuthorizer.recheck); the subject stays the one decided on.
 */
export async function recheckSubject(
  deps: Pick<PipelineDeps, 'authorizer'>,
  session: AppSession,
  chainId: number,
): Promise<SubjectCheck> {
  const subject = subjectOf(session)
  try {
    return { ok: true, session: await deps.authorizer.recheck(session, { chainId }), subject }
  } catch (error) {
    if (!(error instanceof IntentGateError) || error.status >= 500) throw error
    return { ok: false, error, subject }
  }
}

export function subjectOf(session: AppSession): DecisionSubject {
  return {
    instanceId: session.instance.id,
    templateId: session.template.id,
    templateDigest: session.template.digest,
    ...(session.claims.att ? { att: session.claims.att } : {}),
  }
}
