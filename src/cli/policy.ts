import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { ReplayPolicyResult } from '../pipeline/replayPolicy.js'
import { outcomeLabel } from '../policy/compareDecisions.js'
import type { ReplayChanges, ReplayVerdict } from '../policy/replayDecisions.js'
import { adminTarget, callAdmin } from './adminClient.js'
import { CliError, type CliIo } from './cliIo.js'

export const policyUsage = `intentgate policy <command>

  replay --bundle FILE [--last N | --since ISO] [--examples N] [--json] [--url URL] [--admin-key KEY]
        re-decide the last N logged decisions (1000 by default) or those since a time with a signed
        candidate bundle, and report which would change (operator role; nothing is written)
`

/** `intentgate policy …` */
export async function runPolicy(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  const { values } = parseArgs({
    args: rest,
    options: {
      bundle: { type: 'string' },
      last: { type: 'string' },
      since: { type: 'string' },
      examples: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
    },
    strict: true,
  })
  if (command !== 'replay') {
    io.stdout(policyUsage)
    return command === undefined || command === 'help' ? 0 : 2
  }
  if (!values.bundle)
    throw new CliError('--bundle FILE is needed: a bundle signed with npm run policies:sign')
  let bundle: Uint8Array
  try {
    bundle = new Uint8Array(readFileSync(values.bundle))
  } catch (error) {
    throw new CliError(`cannot read ${values.bundle}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  const query = new URLSearchParams()
  for (const name of ['last', 'since', 'examples'] as const) {
    const value = values[name]
    if (value !== undefined) query.set(name, value)
  }
  const report = (await callAdmin(
    adminTarget(values, io.env),
    'POST',
    `/v1/admin/policy/replay${query.size > 0 ? `?${query}` : ''}`,
    bundle,
  )) as ReplayPolicyResult & { candidate: { revision: string; digest: string } }
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReplayReport(report))
  return 0
}

/** The report for people: totals, then each kind of change with its groups and examples. */
export function formatReplayReport(
  report: ReplayPolicyResult & { candidate: { revision: string; digest: string } },
) {
  const skipped = Object.entries(report.skipped.byCause).map(([cause, n]) => `${cause} ${n}`)
  const lines = [
    `candidate ${report.candidate.revision} (${report.candidate.digest})`,
    `${report.considered} decisions considered, ${report.replayed} replayed, ${report.skipped.count} skipped${
      skipped.length > 0 ? ` (${skipped.join(', ')})` : ''
    }`,
    `  unchanged        ${report.unchanged}`,
    ...changeLines('newly denied', report.newlyDenied),
    ...changeLines('newly allowed', report.newlyAllowed),
    ...changeLines('reasons changed', report.reasonsChanged),
    ...changeLines('newly held', report.newlyHeld),
    ...changeLines('no longer held', report.noLongerHeld),
    ...changeLines('k changed', report.approvalsChanged),
  ]
  return `${lines.join('\n')}\n`
}

function changeLines(title: string, changes: ReplayChanges): string[] {
  const groups = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')
  if (changes.count === 0) return [`  ${title.padEnd(16)} 0`]
  return [
    `  ${title.padEnd(16)} ${changes.count}   by reason: ${groups(changes.byReason)}   by template: ${groups(changes.byTemplate)}   by transition: ${groups(changes.byTransition)}`,
    ...changes.examples.map(({ index, requestDigest, templateId, recorded, candidate }) => {
      // A hold whose reason stays the same (only its k changed) gives it once, after the arrow.
      const sameReason = recorded.approvals?.reason === candidate.approvals?.reason
      return `      #${index} ${requestDigest} ${templateId}: ${verdict(recorded, !sameReason)} -> ${verdict(candidate, true)}`
    }),
  ]
}

/** `allow`, `deny CODE,CODE`, or `held k=2 (why)`, the hold's reason as the policy gave it. */
function verdict(decision: ReplayVerdict, withReason: boolean): string {
  if (decision.allow) return 'allow'
  if (decision.approvals)
    return withReason ? `${outcomeLabel(decision)} (${decision.approvals.reason})` : outcomeLabel(decision)
  return `deny ${decision.reasons.join(',')}`
}
