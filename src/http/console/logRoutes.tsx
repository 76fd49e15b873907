import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditEntry, AuditReader } from '../../audit/auditReader.js'
import { entryQuerySchema, treeIndexSchema } from '../../audit/entryQuery.js'
import { decisionVerdicts, type EntrySummary, entryKinds } from '../../audit/entrySummary.js'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { IntentGateError } from '../../errors/index.js'
import { parseInput } from '../readJson.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { Badge, Layout, renderPage, ShortHash } from './layout.js'

const pageSize = 50
/** What the filter form sends: empty fields mean "any", times are UTC minutes from datetime-local inputs. */
const filterForm = z.object({
  template: z.string().trim().max(200).optional(),
  instance: z.string().trim().max(200).optional(),
  decision: z.enum(['', ...decisionVerdicts]).optional(),
  kind: z.enum(['', ...entryKinds]).optional(),
  reason: z.string().trim().max(200).optional(),
  since: z.string().trim().max(40).optional(),
  until: z.string().trim().max(40).optional(),
  cursor: z.string().max(20).optional(),
})
type FilterForm = z.output<typeof filterForm>

/** A datetime-local value (minutes, no zone) read as UTC, as the form's labels say. */
function utcTime(value: string | undefined): string | undefined {
  if (!value) return undefined
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : value
}

function filterQuery(form: FilterForm) {
  const present = (value: string | undefined) => (value ? value : undefined)
  return parseInput(
    entryQuerySchema,
    Object.fromEntries(
      Object.entries({
        template: present(form.template),
        instance: present(form.instance),
        decision: present(form.decision),
        kind: present(form.kind),
        reason: present(form.reason),
        since: utcTime(present(form.since)),
        until: utcTime(present(form.until)),
        cursor: present(form.cursor),
        limit: String(pageSize),
      }).filter(([, value]) => value !== undefined),
    ),
    'query',
  )
}

function FilterFields(props: { form: FilterForm }) {
  const { form } = props
  return (
    <form method="get" action="/console/entries" class="filters" aria-label="Filter the log">
      <label>
        Template
        <input name="template" value={form.template ?? ''} placeholder="community-poll" />
      </label>
      <label>
        Instance
        <input name="instance" value={form.instance ?? ''} placeholder="inst_…" />
      </label>
      <div class="field">
        <label for="filter-kind">Kind</label>
        <select id="filter-kind" name="kind">
          {['', ...entryKinds].map((kind) => (
            <option value={kind} selected={form.kind === kind}>
              {kind || 'any'}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-decision">Decision</label>
        <select id="filter-decision" name="decision">
          {['', ...decisionVerdicts].map((decision) => (
            <option value={decision} selected={form.decision === decision}>
              {decision || 'any'}
            </option>
          ))}
        </select>
      </div>
      <label>
        Reason code
        <input name="reason" value={form.reason ?? ''} placeholder="SELECTOR_NOT_ALLOWED" />
      </label>
      <label>
        From (UTC)
        <input type="datetime-local" name="since" value={form.since ?? ''} />
      </label>
      <label>
        Until (UTC)
        <input type="datetime-local" name="until" value={form.until ?? ''} />
      </label>
      <button type="submit">Filter</button>
      <a href="/console/entries">Clear</a>
    </form>
  )
}

function EntryRows(props: { entries: EntrySummary[] }) {
  return (
    <table>
      <caption class="visually-hidden">Log entries</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Kind</th>
          <th scope="col">Decision or status</th>
          <th scope="col">Template</th>
          <th scope="col">Instance</th>
          <th scope="col">Reasons or action</th>
          <th scope="col">Request</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((entry) => (
          <tr>
            <td>
              <a href={`/console/entries/${entry.index}`}>{`#${entry.index}`}</a>
            </td>
            <td>{entry.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')}</td>
            <td>{entry.kind}</td>
            <td>
              <Badge value={entry.decision ?? entry.status} />
            </td>
            <td>{entry.templateId ?? ''}</td>
            <td class="mono">{entry.instanceId ?? ''}</td>
            <td>
              {entry.kind === 'admin-action'
                ? `${entry.action} ${entry.target}`
                : (entry.reasons ?? []).join(', ')}
            </td>
            <td>
              <ShortHash value={entry.requestDigest} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** GET /console/entries (the filtered log) and GET /console/entries/:index (one entry, with Verify). */
export function logRoutes(deps: { audit: AuditReader }) {
  return new Hono<ConsoleEnv>()
    .get('/console/entries', requireConsole('read'), async (c) => {
      const form = parseInput(filterForm, c.req.query(), 'query')
      const page = await deps.audit.query(filterQuery(form), {
        cursor: filterQuery(form).cursor ?? 0,
        limit: pageSize,
      })
      const nextLink = new URLSearchParams(
        Object.entries({ ...form, cursor: String(page.next) }).filter(
          (pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '',
        ),
      )
      return renderPage(
        c,
        <Layout title="Log explorer" session={c.get('session')} current="/console/entries">
          <p>
            This gateway's transparency log: {deps.audit.size()} entries, oldest first. Open an entry to read
            its decoded statement and verify it in your browser.
          </p>
          <FilterFields form={form} />
          {page.entries.length === 0 ? (
            <p role="status">No entry matches these filters.</p>
          ) : (
            <EntryRows entries={page.entries} />
          )}
          {page.next === null ? null : (
            <p>
              <a href={`/console/entries?${nextLink}`}>Next {pageSize} entries</a>
            </p>
          )}
        </Layout>,
      )
    })
    .get('/console/entries/:index', requireConsole('read'), async (c) => {
      const { index } = parseInput(z.strictObject({ index: treeIndexSchema }), c.req.param(), 'path')
      if (index >= deps.audit.size())
        throw new IntentGateError('LOG_ENTRY_NOT_FOUND', 'No such log entry', {
          details: `the log holds ${deps.audit.size()} entries`,
        })
      const entry = await deps.audit.entry(index)
      const related = entry.summary.requestDigest
        ? (await deps.audit.lookup({ requestDigest: entry.summary.requestDigest })).filter(
            (other) => other.index !== index,
          )
        : []
      const outcomes = await Promise.all(
        related.filter((other) => other.kind === 'outcome').map((other) => deps.audit.entry(other.index)),
      )
      const session = c.get('session') as ConsoleSession
      return renderPage(
        c,
        <Layout
          title={`Log entry #${index}`}
          session={session}
          current="/console/entries"
          scripts={['/console/assets/verifyButton.js']}
        >
          <EntryFacts entry={entry} />
          <StatementView entry={entry} outcomes={outcomes} related={related} />
          <VerifyPanel index={index} />
        </Layout>,
      )
    })
}

function EntryFacts(props: { entry: AuditEntry }) {
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
      <dt>Entry digest (SHA-256)</dt>
      <dd class="mono">{entryDigest}</dd>
    </dl>
  )
}

type Call = {
  path?: string
  to?: string
  value?: string
  selector?: string
  function?: string
  role?: string
}

function StatementView(props: { entry: AuditEntry; outcomes: AuditEntry[]; related: EntrySummary[] }) {
  const { statement } = props.entry
  if (statement.predicateType === 'https://intentgate.dev/attestations/decision/v1') {
    const { predicate } = statement
    const intent = predicate.intent as typeof predicate.intent & {
      gas?: Record<string, string>
      validUntil?: number
      nonce?: string
    }
    const calls = intent.calls as Call[]
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
                <td class="mono">{call.function ?? call.selector ?? '(none)'}</td>
                <td>{call.value ?? '0'}</td>
              </tr>
            ))}
          </tbody>
        </table>
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

function VerifyPanel(props: { index: number }) {
  return (
    <section aria-labelledby="verify-heading" data-verify-entry={String(props.index)}>
      <h2 id="verify-heading">Verify in this browser</h2>
      <p>
        Fetches the entry's raw bytes, a signed checkpoint and the inclusion proof, then checks the
        checkpoint's signature (C2SP signed note), the entry's DSSE signature and the RFC 6962 proof here,
        with WebCrypto. Nothing the gateway says about the entry is taken on trust.
      </p>
      <p data-key-source>Keys: as this gateway publishes them.</p>
      <div class="actions">
        <button type="button" data-verify-button>
          Verify
        </button>
        <button type="button" class="secondary" data-pin-keys>
          Pin the gateway's keys in this browser
        </button>
        <button type="button" class="secondary" data-forget-keys>
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
