import { Hono } from 'hono'
import { z } from 'zod'
import type { AuditReader } from '../../audit/auditReader.js'
import { entryQuerySchema, treeIndexSchema } from '../../audit/entryQuery.js'
import { decisionVerdicts, type EntrySummary, entryKinds } from '../../audit/entrySummary.js'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { IntentGateError } from '../../errors/index.js'
import { parseInput } from '../readJson.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { EntryFacts, StatementView, VerifyPanel } from './entryView.js'
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
                : entry.kind === 'approval'
                  ? [
                      `${entry.action}${entry.actor ? ` by ${entry.actor}` : ''}`,
                      ...(entry.reasons ?? []),
                    ].join(', ')
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
      const query = filterQuery(form)
      const page = await deps.audit.query(query, { cursor: query.cursor ?? 0, limit: pageSize })
      // The index reads forward from a cursor, so "newest" is a cursor near the end of the log.
      const linkFrom = (cursor: number) =>
        new URLSearchParams(
          Object.entries({ ...form, cursor: String(cursor) }).filter(
            (pair): pair is [string, string] => typeof pair[1] === 'string' && pair[1] !== '',
          ),
        )
      const newest = Math.max(0, deps.audit.size() - pageSize)
      return renderPage(
        c,
        <Layout title="Log explorer" session={c.get('session')} current="/console/entries">
          <p>
            This gateway's transparency log: {deps.audit.size()} entries, in log order from entry #
            {query.cursor ?? 0}. Open an entry to read its decoded statement and verify it in your browser.{' '}
            <a href={`/console/entries?${linkFrom(newest)}`}>Jump to the newest {pageSize} entries</a>
          </p>
          <FilterFields form={form} />
          {page.entries.length === 0 ? (
            <p role="status">No entry matches these filters.</p>
          ) : (
            <EntryRows entries={page.entries} />
          )}
          {page.next === null ? null : (
            <p>
              <a href={`/console/entries?${linkFrom(page.next)}`}>Next {pageSize} matching entries</a>
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
