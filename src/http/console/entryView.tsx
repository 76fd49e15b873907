import type { AuditEntry } from '../../audit/auditReader.js'
import type { EntrySummary } from '../../audit/entrySummary.js'
import { Badge } from './layout.js'

/** The parts of an entry's page: its facts, its statement decoded for reading, and the Verify panel. */

export function EntryFacts(props: { entry: AuditEntry }) {
  const { summary, entryDigest } = props.entry
  return (
    <dl class="facts">
      <dt>Kind</dt>
      <dd>{summary.kind}</dd>
      <dt>Time</dt>
      <dd>{summary.time}</dd>
      {summary.templateId ? (
        <>
          <dt>Template</dt>
          <dd>{summary.templateId}</dd>
        </>
      ) : null}
      {summary.instanceId ? (
        <>
          <dt>Instance</dt>
          <dd class="mono">{summary.instanceId}</dd>
        </>
      ) : null}
      {summary.requestDigest ? (
        <>
          <dt>Request digest</dt>
          <dd class="mono">{summary.requestDigest}</dd>
        </>
      ) : null}
      {summary.requestDigest && (summary.kind === 'approval' || summary.decision === 'held') ? (
        <>
          <dt>Held for approval</dt>
          <dd>
            <a href={`/console/approvals/${summary.requestDigest}`}>The request's approval page</a>
          </dd>
        </>
      ) : null}
      <dt>Entry digest (SHA-256)</dt>
      <dd class="mono">{entryDigest}</dd>
    </dl>
  )
}

type Call = {
  path?: string
  to?: string
  value?: string
  selector?: string | null
  role?: string
  decoded?: { standard: string; function: string; args: Record<string, unknown> }
  opaque?: { reason: string }
}

/** What the gateway's decoders made of a call: the token standard's function and its arguments. */
function describeCall(call: Call): string {
  const selector = call.selector ?? '(no data)'
  if (call.opaque) return `${selector}: opaque (${call.opaque.reason})`
  if (!call.decoded) return selector
  const args = Object.entries(call.decoded.args)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(', ')
  return `${selector}: ${call.decoded.standard} ${call.decoded.function}(${args})`
}

/** A normalized Intent for reading: who, where, until when, gas, and every call with what the decoders made of it. */
export function IntentView(props: { intent: unknown }) {
  const intent = props.intent as {
    kind?: string
    chainId?: number
    sender?: string
    calls?: Call[]
    gas?: Record<string, string>
    validUntil?: number
  }
  const calls = intent.calls ?? []
  return (
    <>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{intent.kind}</dd>
        <dt>Chain</dt>
        <dd>{intent.chainId}</dd>
        <dt>Sender</dt>
        <dd class="mono">{intent.sender}</dd>
        {intent.validUntil === undefined ? null : (
          <>
            <dt>Valid until</dt>
            <dd>{new Date(intent.validUntil * 1000).toISOString()}</dd>
          </>
        )}
        {intent.gas ? (
          <>
            <dt>Gas</dt>
            <dd>
              limit {intent.gas.limit}, max fee {intent.gas.maxFeePerGas} wei, max cost{' '}
              {intent.gas.maxCostWei} wei
            </dd>
          </>
        ) : null}
      </dl>
      <table>
        <caption>Calls, nested ones included</caption>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Role</th>
            <th scope="col">To</th>
            <th scope="col">Function</th>
            <th scope="col">Value (wei)</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <tr>
              <td>{call.path ?? ''}</td>
              <td>{call.role ?? ''}</td>
              <td class="mono">{call.to ?? ''}</td>
              <td class="mono">{describeCall(call)}</td>
              <td>{call.value ?? '0'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

export function StatementView(props: { entry: AuditEntry; outcomes: AuditEntry[]; related: EntrySummary[] }) {
  const { statement } = props.entry
  if (statement.predicateType === 'https://intentgate.dev/attestations/decision/v1') {
    const { predicate } = statement
    return (
      <>
        <h2>Decision</h2>
        <p>
          <Badge value={props.entry.summary.decision} /> by policy {predicate.policy.revision} (
          <span class="mono">{predicate.policy.digest}</span>) at {predicate.decidedAt}
        </p>
        <h2>Reasons</h2>
        {predicate.decision.reasons.length === 0 ? (
          <p>None: the request was approved.</p>
        ) : (
          <ul>
            {predicate.decision.reasons.map((reason) => (
              <li>
                <code>{reason.code}</code>: {reason.message}
              </li>
            ))}
          </ul>
        )}
        <h2>Decoded intent</h2>
        <IntentView intent={predicate.intent} />
        <h2>Outcome</h2>
        {props.outcomes.length === 0 ? (
          <p>
            No outcome is logged for this request{predicate.decision.allow ? ' yet' : ': it was not approved'}
            .
          </p>
        ) : (
          props.outcomes.map((outcome) => <OutcomeFacts entry={outcome} />)
        )}
        <RawStatement entry={props.entry} />
      </>
    )
  }
  if (statement.predicateType === 'https://intentgate.dev/attestations/outcome/v1') {
    const { predicate } = statement
    return (
      <>
        <h2>Outcome</h2>
        <OutcomeFacts entry={props.entry} />
        <p>
          It follows the decision at{' '}
          <a href={`/console/entries/${predicate.decisionEntry.logIndex}`}>
            entry #{predicate.decisionEntry.logIndex}
          </a>
          .
        </p>
        <RawStatement entry={props.entry} />
      </>
    )
  }
  if (statement.predicateType === 'https://intentgate.dev/attestations/approval/v1') {
    const { predicate } = statement
    const { approvers, required } = predicate.approvals
    return (
      <>
        <h2>Approval event</h2>
        <dl class="facts">
          <dt>Action</dt>
          <dd>
            {predicate.action}{' '}
            {predicate.actor ? `by ${predicate.actor.name} (${predicate.actor.role})` : 'by the gateway'}
          </dd>
          <dt>Status after</dt>
          <dd>
            <Badge value={predicate.status} />
          </dd>
          <dt>Approvals</dt>
          <dd>
            {approvers.length} of {required}
            {approvers.length > 0 ? `: ${approvers.join(', ')}` : ''}
          </dd>
          {predicate.reason ? (
            <>
              <dt>Reason</dt>
              <dd>
                {predicate.reason.code}: {predicate.reason.message}
              </dd>
            </>
          ) : null}
        </dl>
        <p>
          It is about the held decision at{' '}
          <a href={`/console/entries/${predicate.decisionEntry.logIndex}`}>
            entry #{predicate.decisionEntry.logIndex}
          </a>
          .
        </p>
        <RawStatement entry={props.entry} />
      </>
    )
  }
  const { predicate } = statement
  return (
    <>
      <h2>Admin action</h2>
      <dl class="facts">
        <dt>Action</dt>
        <dd>{predicate.action}</dd>
        <dt>Target</dt>
        <dd class="mono">{predicate.target}</dd>
        <dt>By</dt>
        <dd>
          {predicate.actor.name} ({predicate.actor.role})
        </dd>
        <dt>Detail</dt>
        <dd class="mono">{JSON.stringify(predicate.detail)}</dd>
      </dl>
      <RawStatement entry={props.entry} />
    </>
  )
}

function OutcomeFacts(props: { entry: AuditEntry }) {
  const { statement } = props.entry
  if (statement.predicateType !== 'https://intentgate.dev/attestations/outcome/v1') return null
  const { outcome, recordedAt } = statement.predicate
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <Badge value={outcome.status} /> (
        <a href={`/console/entries/${props.entry.index}`}>entry #{props.entry.index}</a>, {recordedAt})
      </dd>
      {outcome.txHash ? (
        <>
          <dt>Transaction</dt>
          <dd class="mono">{outcome.txHash}</dd>
        </>
      ) : null}
      {outcome.gasUsed ? (
        <>
          <dt>Gas used</dt>
          <dd>
            {outcome.gasUsed} ({outcome.actualCostWei ?? '?'} wei)
          </dd>
        </>
      ) : null}
      {outcome.reason ? (
        <>
          <dt>Reason</dt>
          <dd>
            <code>{outcome.reason.code}</code>: {outcome.reason.message}
          </dd>
        </>
      ) : null}
    </dl>
  )
}

function RawStatement(props: { entry: AuditEntry }) {
  return (
    <details>
      <summary>The statement as decoded by the gateway (JSON)</summary>
      <pre>{JSON.stringify(props.entry.statement, null, 2)}</pre>
    </details>
  )
}

export function VerifyPanel(props: { index: number }) {
  return (
    <section aria-labelledby="verify-heading" data-verify-entry={String(props.index)}>
      <h2 id="verify-heading">Verify in this browser</h2>
      <p>
        Fetches the entry's raw bytes, a signed checkpoint and the inclusion proof, then checks the
        checkpoint's signature (C2SP signed note), the entry's DSSE signature and the RFC 6962 proof here,
        with WebCrypto. Nothing the gateway says about the entry is taken on trust.
      </p>
      <p data-key-source>Keys: as this gateway publishes them.</p>
      {/* Disabled until verifyButton.js has wired them: a click before that would do nothing. */}
      <div class="actions">
        <button type="button" data-verify-button disabled>
          Verify
        </button>
        <button type="button" class="secondary" data-pin-keys disabled>
          Pin the gateway's keys in this browser
        </button>
        <button type="button" class="secondary" data-forget-keys disabled>
          Forget pinned keys
        </button>
      </div>
      <div role="status" aria-live="polite" data-verify-output>
        <noscript>
          Verification runs in the browser and needs JavaScript; `intentgate audit verify` does the same
          offline.
        </noscript>
      </div>
    </section>
  )
}
