import type { AuditReader } from '../audit/auditReader.js'
import type { Attestor } from './attestationLog.js'
import type { OutcomeStatement } from './statementSchemas.js'

/**
 * The attestor with outcomes made idempotent per log: an outcome for a decision this log already
 * holds an outcome for is not signed again, the one logged is returned. A process that dies
 * between attesting an outcome and recording it (the relay's settle, a failed request) attests it
 * once: after the restart the settle runs again and finds it. Each process has its own log, so a
 * settle taken over by another process is attested in that one's log.
 */
export function withIdempotentOutcomes(
  attestor: Attestor,
  audit: Pick<AuditReader, 'lookup' | 'entry'>,
): Attestor {
  return {
    ...attestor,
    async attestOutcome(parameters) {
      const logged = await audit.lookup({ requestDigest: parameters.requestDigest.toLowerCase() })
      for (const summary of logged) {
        if (summary.kind !== 'outcome') continue
        const entry = await audit.entry(summary.index)
        const { predicate } = entry.statement as OutcomeStatement
        if (predicate.decisionEntry.logIndex !== parameters.decisionEntry.logIndex) continue
        return { index: entry.index, envelope: entry.envelope, envelopeDigest: entry.entryDigest }
      }
      return attestor.attestOutcome(parameters)
    },
  }
}
