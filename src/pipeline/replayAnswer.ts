import { IntentGateError } from '../errors/index.js'
import { refusalError } from './concludeDecision.js'
import type { PipelineDeps } from './pipelineDeps.js'

/**
 * Gives the recorded answer of an already decided request again: the same 202 body, or the same
 * refusal with its code, reasons and attestation. Nothing is counted or logged a second time.
 */
export async function answerAgain(
  deps: Pick<PipelineDeps, 'requests'>,
  id: string,
  instanceId: string,
): Promise<{ status: 202; body: Record<string, unknown> }> {
  const record = await deps.requests.get(id)
  // Another instance's request is not this caller's to read: refuse without saying anything about it.
  if (!record || record.instanceId !== instanceId) {
    throw new IntentGateError('REQUEST_REPLAYED', 'This signed request was already submitted')
  }
  if (record.answer.kind === 'refused') throw refusalError(record.answer, record.decisionAttestation)
  return { status: record.answer.status, body: { ...record.answer.body, status: record.status } }
}

/**
 * For two copies of one request racing: the loser of the reservation waits briefly for the
 * winner's recorded answer and gives it, rather than deciding the same request twice.
 */
export async function waitForRecordedAnswer(
  deps: Pick<PipelineDeps, 'requests'>,
  id: string,
  instanceId: string,
) {
  if (await recordedWithin(deps, id)) return answerAgain(deps, id, instanceId)
  throw new IntentGateError('REQUEST_REPLAYED', 'Request is being decided by another call', { details: id })
}

/** Whether the request is recorded within about two seconds (another call of it deciding). */
export async function recordedWithin(deps: Pick<PipelineDeps, 'requests'>, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < 40; attempt++) {
    if (await deps.requests.get(id)) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}
