import { parseArgs } from 'node:util'
import type { ApprovalView } from '../approvals/approvalView.js'
import { adminTarget, callAdmin } from './adminClient.js'
import { CliError, type CliIo } from './cliIo.js'

export const approvalsUsage = `intentgate approvals <command>

  list [--limit N] [--json] [--url URL] [--admin-key KEY]
        requests held for operator approval and still waiting, soonest expiry first (auditor role)
  show ID [--url URL] [--admin-key KEY]
        one held request in full: its decoded intent, approvals, submitters, how it ended (auditor role)
  approve ID [--url URL] [--admin-key KEY]
        approve a held request as the operator whose key this is; the k-th distinct approval sends it on
  reject ID --reason TEXT [--url URL] [--admin-key KEY]
        reject a held request: it ends at once and its reservation is released (operator role)
`

/** `intentgate approvals …` */
export async function runApprovals(args: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      limit: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const [id] = positionals
  const path = (suffix = '') => `/v1/admin/approvals/${encodeURIComponent(requestId(id))}${suffix}`
  switch (command) {
    case 'list': {
      const limit = values.limit === undefined ? '' : `?limit=${encodeURIComponent(values.limit)}`
      const { approvals } = (await callAdmin(
        adminTarget(values, io.env),
        'GET',
        `/v1/admin/approvals${limit}`,
      )) as {
        approvals: ApprovalView[]
      }
      io.stdout(values.json ? `${JSON.stringify(approvals, null, 2)}\n` : formatApprovals(approvals))
      return 0
    }
    case 'show': {
      io.stdout(`${JSON.stringify(await callAdmin(adminTarget(values, io.env), 'GET', path()), null, 2)}\n`)
      return 0
    }
    case 'approve': {
      const answer = (await callAdmin(adminTarget(values, io.env), 'POST', path('/approve'))) as {
        approval: ApprovalView
        counted: boolean
      }
      const { approval } = answer
      const counted = answer.counted ? 'counted' : 'already counted: an operator counts once'
      io.stdout(
        `${approval.id}: ${counted}; ${approval.approvals.length} of ${approval.required} approvals, ${approval.status} (request ${approval.requestStatus})\n`,
      )
      return 0
    }
    case 'reject': {
      if (!values.reason) throw new CliError('usage: intentgate approvals reject ID --reason TEXT')
      const { approval } = (await callAdmin(adminTarget(values, io.env), 'POST', path('/reject'), {
        reason: values.reason,
      })) as { approval: ApprovalView }
      io.stdout(`${approval.id}: ${approval.status} (request ${approval.requestStatus})\n`)
      return 0
    }
    default:
      io.stdout(approvalsUsage)
      return command === undefined || command === 'help' ? 0 : 2
  }
}

function requestId(id: string | undefined): string {
  if (!id) throw new CliError('give the request id (0x and 64 hex digits) after the command')
  return id
}

/** One block per held request: what it is, why it is held, where its approvals stand. */
export function formatApprovals(approvals: readonly ApprovalView[]): string {
  if (approvals.length === 0) return 'no request is waiting for approval\n'
  return approvals
    .map((approval) => {
      const by = approval.approvals.map((vote) => vote.by).join(', ') || 'none yet'
      const calls = callsOf(approval.intent)
        .map((call) => `    call ${call}`)
        .join('\n')
      return [
        `${approval.id}  ${approval.kind} on chain ${approval.chainId}, expires ${approval.expiresAt}`,
        `    ${approval.templateId} (${approval.templateDigest})  instance ${approval.instanceId}  sender ${approval.sender}`,
        `    held: ${approval.reason}`,
        `    approvals ${approval.approvals.length} of ${approval.required}: ${by}; submitters (may not approve): ${approval.submitters.join(', ') || 'none'}`,
        ...(calls ? [calls] : []),
      ].join('\n')
    })
    .join('\n')
    .concat('\n')
}

/** The calls of an attested intent, one line each: target, value, and the decoded function when known. */
function callsOf(intent: unknown): string[] {
  const calls = (intent as { calls?: unknown } | undefined)?.calls
  if (!Array.isArray(calls)) return []
  return calls.map((call: Record<string, unknown>) => {
    const decoded = call.decoded as { function?: string; args?: Record<string, unknown> } | undefined
    const what = decoded?.function
      ? `${decoded.function}(${Object.entries(decoded.args ?? {})
          .map(([name, value]) => `${name}=${String(value)}`)
          .join(', ')})`
      : String(call.selector ?? 'no data')
    return `${String(call.path)} to ${String(call.to)} value ${String(call.value)}: ${what}`
  })
}
