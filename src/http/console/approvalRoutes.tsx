import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import type { ApprovalDeps } from '../../approvals/approvalDeps.js'
import type { ApprovalView } from '../../approvals/approvalView.js'
import { approveRequest, getApproval, rejectRequest } from '../../approvals/decideApproval.js'
import { listPendingApprovals } from '../../approvals/listPendingApprovals.js'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { classifyError, type IntentGateError } from '../../errors/index.js'
import { parseInput } from '../readJson.js'
import { reasonBody, requestIdParam } from '../routes/admin/adminEnv.js'
import { ConfirmChange } from './confirmChange.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { IntentView } from './entryView.js'
import { Badge, ErrorNotice, Layout, ReadOnlyNotice, renderPage, ShortHash } from './layout.js'

type Deps = { approvals: ApprovalDeps }

const listSize = 100
const reasonForm = z.object({ reason: reasonBody.shape.reason })
/** What a change left behind, named in the redirect to the approval's page, which says it once. */
const outcomes = ['counted', 'already-counted', 'rejected'] as const
type Outcome = (typeof outcomes)[number]
const detailQuery = z.object({ outcome: z.enum(outcomes).optional() })

const approvalPath = (id: string) => `/console/approvals/${id}`

function ApprovalCount(props: { approval: ApprovalView }) {
  const { approvals, required } = props.approval
  return (
    <>
      {`${approvals.length} of ${required}`}
      {approvals.length > 0 ? `: ${approvals.map((approval) => approval.by).join(', ')}` : ''}
    </>
  )
}

function PendingTable(props: { approvals: ApprovalView[] }) {
  return (
    <table>
      <caption>Requests waiting for operator approval, soonest expiry first</caption>
      <thead>
        <tr>
          <th scope="col">Request</th>
          <th scope="col">Kind</th>
          <th scope="col">Template</th>
          <th scope="col">Instance</th>
          <th scope="col">Sender</th>
          <th scope="col">Approvals</th>
          <th scope="col">Why it is held</th>
          <th scope="col">Expires (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {props.approvals.map((approval) => (
          <tr>
            <td>
              <a href={approvalPath(approval.id)}>
                <ShortHash value={approval.id} />
                <span class="visually-hidden">{` (held ${approval.kind} of ${approval.instanceId})`}</span>
              </a>
            </td>
            <td>{approval.kind}</td>
            <td>{approval.templateId}</td>
            <td class="mono">{approval.instanceId}</td>
            <td>
              <ShortHash value={approval.sender} />
            </td>
            <td>
              <ApprovalCount approval={approval} />
            </td>
            <td>{approval.reason}</td>
            <td>
              <time datetime={approval.expiresAt}>{approval.expiresAt}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The intent as the held decision attested it; the log entry holds it whole should it not read. */
function HeldIntent(props: { approval: ApprovalView }) {
  const { approval } = props
  return approval.intent === undefined ? (
    <p>
      The held decision's intent cannot be read here; see{' '}
      <a href={`/console/entries/${approval.decisionAttestation.logIndex}`}>
        log entry #{approval.decisionAttestation.logIndex}
      </a>
      .
    </p>
  ) : (
    <IntentView intent={approval.intent} />
  )
}

/**
 * What approving would do, as far as the page can tell; the gateway decides when it is asked, and
 * its answer is shown whatever this said.
 */
function consequenceOfApproving(approval: ApprovalView, operator: string): string {
  if (approval.approvals.some((vote) => vote.by === operator))
    return 'Your approval is already counted: approving again counts nothing.'
  if (approval.submitters.includes(operator))
    return 'You obtained a token of the instance that sent this request: the gateway refuses your approval.'
  const after = approval.approvals.length + 1
  return after >= approval.required
    ? `Yours would be approval ${after} of ${approval.required}: the request is sent on at once, and cannot be called back.`
    : `Yours would be approval ${after} of ${approval.required}: the request keeps waiting for ${approval.required - after} more.`
}

/** What a change just did, in words, from the approval as it now stands. */
function outcomeText(outcome: Outcome, approval: ApprovalView): string {
  if (outcome === 'rejected') return 'Rejected: the request is cancelled and its reservation given back.'
  if (outcome === 'already-counted') return 'Your approval was already counted: each operator counts once.'
  if (approval.status === 'approved')
    return `Approved: ${approval.approvals.length} of ${approval.required} operators. The request was sent on (now ${approval.requestStatus}).`
  return `Your approval was counted: ${approval.approvals.length} of ${approval.required}.`
}

function ApprovalFacts(props: { approval: ApprovalView }) {
  const { approval } = props
  return (
    <dl class="facts">
      <dt>Request id</dt>
      <dd class="mono">{approval.id}</dd>
      <dt>Approval</dt>
      <dd>
        <Badge value={approval.status} />
      </dd>
      <dt>Request status</dt>
      <dd>
        <Badge value={approval.requestStatus} />
      </dd>
      <dt>Kind</dt>
      <dd>{approval.kind}</dd>
      <dt>Template</dt>
      <dd>
        {approval.templateId} <ShortHash value={approval.templateDigest} />
      </dd>
      <dt>Instance</dt>
      <dd class="mono">{approval.instanceId}</dd>
      <dt>Sender</dt>
      <dd class="mono">{approval.sender}</dd>
      <dt>Approvals</dt>
      <dd>
        {`${approval.approvals.length} of ${approval.required} required`}
        {approval.approvals.length > 0 ? (
          <ul>
            {approval.approvals.map((vote) => (
              <li>
                {vote.by} at <time datetime={vote.at}>{vote.at}</time>
              </li>
            ))}
          </ul>
        ) : null}
      </dd>
      <dt>May not approve</dt>
      <dd>
        {approval.submitters.length > 0
          ? `${approval.submitters.join(', ')} (obtained a token of the instance that sent it)`
          : 'nobody'}
      </dd>
      <dt>Held since</dt>
      <dd>
        <time datetime={approval.createdAt}>{approval.createdAt}</time>
      </dd>
      <dt>Expires</dt>
      <dd>
        <time datetime={approval.expiresAt}>{approval.expiresAt}</time>
      </dd>
      <dt>Held decision</dt>
      <dd>
        <a href={`/console/entries/${approval.decisionAttestation.logIndex}`}>
          log entry #{approval.decisionAttestation.logIndex}
        </a>
      </dd>
    </dl>
  )
}

/** One held request: where it stands, why it is held, what it does, and the operator's two choices. */
function ApprovalPage(props: {
  session: ConsoleSession
  approval: ApprovalView
  outcome?: Outcome | undefined
  /** A refusal by the approval rules, shown above everything else. */
  problem?: IntentGateError
}) {
  const { session, approval } = props
  const operator = session.principal.role === 'operator'
  const mine = approval.approvals.some((vote) => vote.by === session.principal.name)
  return (
    <Layout title="Held request" session={session} current="/console/approvals">
      <ReadOnlyNotice session={session} />
      <div role="status" aria-live="polite">
        {props.outcome ? <p class="notice">{outcomeText(props.outcome, approval)}</p> : null}
      </div>
      {props.problem ? <ErrorNotice error={props.problem} /> : null}
      <ApprovalFacts approval={approval} />
      <h2>Reasons</h2>
      <ul>
        <li>
          Held by the policy: <code>APPROVAL_REQUIRED</code>: {approval.reason}
        </li>
        {approval.closed?.reason ? (
          <li>
            {`Ended ${approval.closed.at}${approval.closed.by ? ` by ${approval.closed.by}` : ''}: `}
            <code>{approval.closed.reason.code}</code>: {approval.closed.reason.message}
          </li>
        ) : null}
      </ul>
      <h2>Decoded intent</h2>
      <HeldIntent approval={approval} />
      {operator && approval.status === 'pending' ? (
        <section aria-labelledby="decide-heading">
          <h2 id="decide-heading">Decide</h2>
          {mine ? (
            <p>{`Your approval is counted; ${approval.required - approval.approvals.length} more needed.`}</p>
          ) : null}
          {approval.submitters.includes(session.principal.name) ? (
            <p>
              You obtained a token of the instance that sent this request: the gateway does not count your
              approval, but you may reject it.
            </p>
          ) : null}
          <div class="actions">
            <a href={`${approvalPath(approval.id)}/approve`}>Approve…</a>
            <a href={`${approvalPath(approval.id)}/reject`}>Reject…</a>
          </div>
        </section>
      ) : null}
      <p>
        <a href="/console/approvals">All pending approvals</a>
      </p>
    </Layout>
  )
}

/**
 * GET /console/approvals (pending held requests) and GET /console/approvals/:id (one, with its
 * decoded intent), for everyone; approving and rejecting (operators) each go through a confirmation
 * page (GET …/approve, …/reject) and a POST. The rules are the approvals module's, as in the admin
 * API; a refusal (a submitter approving, a request no longer pending) is shown on the request's page.
 */
export function approvalRoutes(deps: Deps) {
  /**
   * Runs an operator's change and redirects to the request's page, which says what it did. A
   * refusal by the approval rules is that page with the refusal; an outage or an unknown request
   * is the console's error page.
   */
  async function decide(c: Context<ConsoleEnv>, id: string, change: () => Promise<Outcome>) {
    let outcome: Outcome
    try {
      outcome = await change()
    } catch (error) {
      const refusal = classifyError(error)
      if (refusal.status >= 500 || refusal.code === 'REQUEST_NOT_FOUND') throw error
      const session = c.get('session') as ConsoleSession
      const approval = await getApproval(deps.approvals, id)
      return renderPage(
        c,
        <ApprovalPage session={session} approval={approval} problem={refusal} />,
        refusal.status as ContentfulStatusCode,
      )
    }
    return c.redirect(`${approvalPath(id)}?outcome=${outcome}`, 303)
  }

  return new Hono<ConsoleEnv>()
    .get('/console/approvals', requireConsole('read'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const pending = await listPendingApprovals(deps.approvals, { limit: listSize })
      return renderPage(
        c,
        <Layout title="Pending approvals" session={session} current="/console/approvals">
          <ReadOnlyNotice session={session} />
          <p>
            Requests the policy held for approval by operators. Each needs the approvals of k distinct
            operators, none of whom obtained a token of the instance that sent it; one rejection ends it. At
            most {listSize} are shown.
          </p>
          {pending.length === 0 ? (
            <p role="status">No request is waiting for approval.</p>
          ) : (
            <PendingTable approvals={pending} />
          )}
        </Layout>,
      )
    })
    .get('/console/approvals/:id', requireConsole('read'), async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const { outcome } = parseInput(detailQuery, c.req.query(), 'query')
      const approval = await getApproval(deps.approvals, id)
      return renderPage(
        c,
        <ApprovalPage session={c.get('session') as ConsoleSession} approval={approval} outcome={outcome} />,
      )
    })
    .get('/console/approvals/:id/approve', requireConsole('write'), async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const approval = await getApproval(deps.approvals, id)
      const session = c.get('session') as ConsoleSession
      // Nothing left to confirm: the request's page says how it ended.
      if (approval.status !== 'pending') return c.redirect(approvalPath(id), 303)
      return renderPage(
        c,
        <ConfirmChange
          session={session}
          title="Approve this request?"
          current="/console/approvals"
          consequence={consequenceOfApproving(approval, session.principal.name)}
          button="Approve"
          action={`${approvalPath(id)}/approve`}
          back={approvalPath(id)}
        >
          <p>Your approval is attested in the log under your name. Held because: {approval.reason}</p>
          <h2>What it does</h2>
          <HeldIntent approval={approval} />
        </ConfirmChange>,
      )
    })
    .post('/console/approvals/:id/approve', requireConsole('write'), async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const session = c.get('session') as ConsoleSession
      return decide(c, id, async () => {
        const { counted } = await approveRequest(deps.approvals, { id, operator: session.principal })
        return counted ? 'counted' : 'already-counted'
      })
    })
    .get('/console/approvals/:id/reject', requireConsole('write'), async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const approval = await getApproval(deps.approvals, id)
      if (approval.status !== 'pending') return c.redirect(approvalPath(id), 303)
      return renderPage(
        c,
        <ConfirmChange
          session={c.get('session') as ConsoleSession}
          title="Reject this request?"
          current="/console/approvals"
          consequence="One rejection ends it: the request is cancelled and its reservation given back. This cannot be undone."
          tone="danger"
          reasonLabel="Reason (recorded in the log, 3 to 500 characters)"
          button="Reject"
          action={`${approvalPath(id)}/reject`}
          back={approvalPath(id)}
        >
          <p>
            You are about to reject request <span class="mono">{id}</span> of {approval.templateId}, instance{' '}
            <span class="mono">{approval.instanceId}</span>.
          </p>
        </ConfirmChange>,
      )
    })
    .post('/console/approvals/:id/reject', requireConsole('write'), async (c) => {
      const { id } = parseInput(requestIdParam, c.req.param(), 'path')
      const { reason } = parseInput(reasonForm, await c.req.parseBody(), 'body')
      const session = c.get('session') as ConsoleSession
      return decide(c, id, async () => {
        await rejectRequest(deps.approvals, { id, operator: session.principal, reason })
        return 'rejected'
      })
    })
}
