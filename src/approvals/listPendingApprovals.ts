import type { ApprovalDeps } from './approvalDeps.js'
import { type ApprovalView, approvalViewOf } from './approvalView.js'

/** The most held requests one listing returns. */
export const maxListedApprovals = 500

/**
 * Held requests still waiting for approval, soonest expiry first: those an operator can still
 * approve or reject. A request past its window is left out (the sweep expires it), and so is an
 * approval whose request was never recorded (its hold failed half way; the sweep discards it).
 */
export async function listPendingApprovals(
  deps: Pick<ApprovalDeps, 'approvals' | 'requests' | 'now'>,
  options: { limit: number },
): Promise<ApprovalView[]> {
  const limit = Math.min(options.limit, maxListedApprovals)
  const now = deps.now()
  const views: ApprovalView[] = []
  // Unfinished approvals include decided ones whose follow-up is still running; page past them.
  for (let offset = 0; views.length < limit; offset += limit) {
    const ids = await deps.approvals.unfinished(limit, offset)
    for (const id of ids) {
      const [entry, record] = await Promise.all([deps.approvals.get(id), deps.requests.get(id)])
      if (entry?.status === 'pending' && entry.expiresAt > now && record)
        views.push(approvalViewOf(entry, record))
      if (views.length === limit) break
    }
    if (ids.length < limit) break
  }
  return views
}
