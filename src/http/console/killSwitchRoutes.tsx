import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../admin/adminActions.js'
import { engageKillSwitch, releaseKillSwitch } from '../../admin/operatorActions.js'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import type { KillScope, KillSwitch } from '../../killSwitch/killSwitch.js'
import { parseInput } from '../readJson.js'
import { killSwitchTarget } from '../routes/admin/killSwitch.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { CsrfField, Layout, ReadOnlyNotice, renderPage } from './layout.js'

type Deps = { killSwitch: KillSwitch; recordAdminAction: RecordAdminAction }

const scopes: readonly KillScope[] = ['global', 'template', 'instance', 'chain']
const reason = z.string().trim().min(3).max(500)

/** A form's fields as the API's kill switch target: no target for global, a checked one otherwise. */
function targetOf(form: Record<string, unknown>) {
  const scope = form.scope
  return parseInput(
    killSwitchTarget,
    scope === 'global'
      ? { scope }
      : { scope, target: typeof form.target === 'string' ? form.target.trim() : '' },
    'body',
  )
}

function describe(target: { scope: KillScope; target?: string }) {
  return target.scope === 'global' ? 'every request, everywhere' : `${target.scope} ${target.target}`
}

/**
 * GET /console/kill-switch lists engaged switches and offers the form; engaging and releasing
 * each go through a confirmation page (POST …/confirm renders it, changing nothing) and then a
 * POST that acts, with the reason recorded (operators).
 */
export function killSwitchRoutes(deps: Deps) {
  return new Hono<ConsoleEnv>()
    .get('/console/kill-switch', requireConsole('read'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const engaged = await deps.killSwitch.list()
      const preset = { scope: c.req.query('scope') ?? 'instance', target: c.req.query('target') ?? '' }
      return renderPage(
        c,
        <Layout title="Kill switch" session={session} current="/console/kill-switch">
          <ReadOnlyNotice session={session} />
          <p>
            An engaged switch refuses every matching request with <code>KILL_SWITCH</code> on every gateway
            process within a second, and holds relay jobs already queued.
          </p>
          <h2>Engaged</h2>
          {engaged.length === 0 ? (
            <p>No switch is engaged.</p>
          ) : (
            <table>
              <caption class="visually-hidden">Engaged kill switches</caption>
              <thead>
                <tr>
                  <th scope="col">Scope</th>
                  <th scope="col">Target</th>
                  <th scope="col">Reason</th>
                  <th scope="col">By</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {engaged.map((entry) => (
                  <tr>
                    <td>{entry.scope}</td>
                    <td class="mono">{entry.target ?? ''}</td>
                    <td>{entry.reason}</td>
                    <td>{entry.by}</td>
                    <td>{entry.at}</td>
                    <td>
                      {session.principal.role === 'operator' ? (
                        <form method="post" action="/console/kill-switch/release/confirm">
                          <CsrfField session={session} />
                          <input type="hidden" name="scope" value={entry.scope} />
                          <input type="hidden" name="target" value={entry.target ?? ''} />
                          <button type="submit" class="secondary">
                            Release…<span class="visually-hidden">{` ${describe(entry)}`}</span>
                          </button>
                        </form>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Engage a switch</h2>
          <form method="post" action="/console/kill-switch/confirm" class="stack">
            <CsrfField session={session} />
            <div class="field">
              <label for="kill-scope">Scope</label>
              <select id="kill-scope" name="scope">
                {scopes.map((scope) => (
                  <option value={scope} selected={preset.scope === scope}>
                    {scope}
                  </option>
                ))}
              </select>
            </div>
            <label>
              Target (a template id, an instance id or a chain id; empty for global)
              <input name="target" value={preset.target} />
            </label>
            <label>
              Reason (recorded in the log)
              <textarea name="reason" rows={2} required minlength={3} maxlength={500} />
            </label>
            <div>
              <button type="submit" class="danger">
                Engage…
              </button>
            </div>
          </form>
        </Layout>,
      )
    })
    .post('/console/kill-switch/confirm', requireConsole('write'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const form = await c.req.parseBody()
      const target = targetOf(form)
      const why = parseInput(z.object({ reason }), form, 'body').reason
      return renderPage(
        c,
        <Layout title="Engage the kill switch?" session={session} current="/console/kill-switch">
          <p class="notice error">
            This refuses <strong>{describe(target)}</strong> at once, on every gateway process, until it is
            released.
          </p>
          <p>Reason: {why}</p>
          <form method="post" action="/console/kill-switch" class="actions">
            <CsrfField session={session} />
            <input type="hidden" name="scope" value={target.scope} />
            <input type="hidden" name="target" value={'target' in target ? target.target : ''} />
            <input type="hidden" name="reason" value={why} />
            <button type="submit" class="danger">
              Engage the kill switch
            </button>
            <a href="/console/kill-switch">Cancel</a>
          </form>
        </Layout>,
      )
    })
    .post('/console/kill-switch', requireConsole('write'), async (c) => {
      const form = await c.req.parseBody()
      const target = targetOf(form)
      const why = parseInput(z.object({ reason }), form, 'body').reason
      const session = c.get('session') as ConsoleSession
      await engageKillSwitch(deps, session.principal, { ...target, reason: why })
      return c.redirect('/console/kill-switch', 303)
    })
    .post('/console/kill-switch/release/confirm', requireConsole('write'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const target = targetOf(await c.req.parseBody())
      return renderPage(
        c,
        <Layout title="Release the kill switch?" session={session} current="/console/kill-switch">
          <p class="notice">
            Requests for <strong>{describe(target)}</strong> are decided by policy again once this is
            released.
          </p>
          <form method="post" action="/console/kill-switch/release" class="actions">
            <CsrfField session={session} />
            <input type="hidden" name="scope" value={target.scope} />
            <input type="hidden" name="target" value={'target' in target ? target.target : ''} />
            <button type="submit">Release the kill switch</button>
            <a href="/console/kill-switch">Cancel</a>
          </form>
        </Layout>,
      )
    })
    .post('/console/kill-switch/release', requireConsole('write'), async (c) => {
      const target = targetOf(await c.req.parseBody())
      const session = c.get('session') as ConsoleSession
      await releaseKillSwitch(deps, session.principal, target)
      return c.redirect('/console/kill-switch', 303)
    })
}
