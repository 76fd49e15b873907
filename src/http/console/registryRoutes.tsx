import { Hono } from 'hono'
import { z } from 'zod'
import type { RecordAdminAction } from '../../admin/adminActions.js'
import { changeTemplateStatus, revokeInstance } from '../../admin/operatorActions.js'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { IntentGateError } from '../../errors/index.js'
import type { InstanceStore } from '../../templates/instances.js'
import type { TemplateRegistry } from '../../templates/registry.js'
import { parseInput } from '../readJson.js'
import { digestParam, instanceIdParam, reasonBody } from '../routes/admin/adminEnv.js'
import { ConfirmChange } from './confirmChange.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { Badge, Layout, ReadOnlyNotice, renderPage, ShortHash } from './layout.js'

type Deps = { registry: TemplateRegistry; instances: InstanceStore; recordAdminAction: RecordAdminAction }

const instanceListSize = 200
const reasonForm = z.object({ reason: reasonBody.shape.reason })

/** Revoking a template or an instance: final, so it says so, and asks why. */
function ConfirmRevoke(props: {
  session: ConsoleSession
  title: string
  what: string
  consequence: string
  action: string
  back: string
}) {
  return (
    <ConfirmChange
      session={props.session}
      title={props.title}
      consequence={props.consequence}
      tone="danger"
      reasonLabel="Reason (recorded in the log, 3 to 500 characters)"
      button="Revoke"
      action={props.action}
      back={props.back}
    >
      <p>
        You are about to revoke <strong class="mono">{props.what}</strong>. This cannot be undone.
      </p>
    </ConfirmChange>
  )
}

/**
 * GET /console/templates and /console/instances (everyone); revoking either goes through a
 * confirmation page (GET …/revoke) and a POST with a reason (operators).
 */
export function registryRoutes(deps: Deps) {
  return new Hono<ConsoleEnv>()
    .get('/console/templates', requireConsole('read'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const templates = await deps.registry.list()
      return renderPage(
        c,
        <Layout title="Templates" session={session} current="/console/templates">
          <ReadOnlyNotice session={session} />
          {templates.length === 0 ? <p>No template is published.</p> : null}
          <table>
            <caption class="visually-hidden">Published templates and their versions</caption>
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Version</th>
                <th scope="col">Level</th>
                <th scope="col">Publisher</th>
                <th scope="col">Status</th>
                <th scope="col">Digest</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {templates.flatMap((template) =>
                template.versions.map((version) => (
                  <tr>
                    <td>{template.id}</td>
                    <td>{version.version}</td>
                    <td>{version.verificationLevel}</td>
                    <td>{version.publisher}</td>
                    <td>
                      <Badge value={version.status} />
                      {version.statusReason ? ` ${version.statusReason}` : ''}
                    </td>
                    <td>
                      <ShortHash value={version.digest} />
                    </td>
                    <td>{version.expiresAt}</td>
                    <td>
                      {session.principal.role === 'operator' && version.status !== 'revoked' ? (
                        <a href={`/console/templates/${version.digest}/revoke`}>
                          Revoke<span class="visually-hidden">{` ${template.id} ${version.version}`}</span>
                        </a>
                      ) : null}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </Layout>,
      )
    })
    .get('/console/templates/:digest/revoke', requireConsole('write'), async (c) => {
      const { digest } = parseInput(digestParam, c.req.param(), 'path')
      const template = await deps.registry.get(digest)
      if (!template) throw new IntentGateError('TEMPLATE_NOT_FOUND', 'No such template', { details: digest })
      return renderPage(
        c,
        <ConfirmRevoke
          session={c.get('session') as ConsoleSession}
          title={`Revoke template ${template.id} ${template.version}`}
          what={`${template.id} ${template.version} (${digest})`}
          consequence="Every instance of this template version is refused at once, on every gateway process."
          action={`/console/templates/${digest}/revoke`}
          back="/console/templates"
        />,
      )
    })
    .post('/console/templates/:digest/revoke', requireConsole('write'), async (c) => {
      const { digest } = parseInput(digestParam, c.req.param(), 'path')
      const { reason } = parseInput(reasonForm, await c.req.parseBody(), 'body')
      const session = c.get('session') as ConsoleSession
      await changeTemplateStatus(deps, session.principal, { change: 'revoke', digest, reason })
      return c.redirect('/console/templates', 303)
    })
    .get('/console/instances', requireConsole('read'), async (c) => {
      const session = c.get('session') as ConsoleSession
      const instances = await deps.instances.list({ limit: instanceListSize })
      return renderPage(
        c,
        <Layout title="Instances" session={session} current="/console/instances">
          <ReadOnlyNotice session={session} />
          <p>The newest {instanceListSize} instances.</p>
          <table>
            <caption class="visually-hidden">App instances</caption>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Template</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Params</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {instances.map((instance) => (
                <tr>
                  <td class="mono">{instance.id}</td>
                  <td>
                    {instance.templateId} <ShortHash value={instance.templateDigest} />
                  </td>
                  <td>
                    <Badge value={instance.status} />
                    {instance.statusReason ? ` ${instance.statusReason}` : ''}
                  </td>
                  <td>
                    {instance.createdAt} by {instance.createdBy}
                  </td>
                  <td class="mono">{JSON.stringify(instance.params)}</td>
                  <td>
                    <div class="actions">
                      <a href={`/console/entries?instance=${instance.id}`}>
                        Log<span class="visually-hidden">{` of ${instance.id}`}</span>
                      </a>
                      {session.principal.role === 'operator' ? (
                        <a href={`/console/kill-switch?scope=instance&target=${instance.id}`}>
                          Kill switch<span class="visually-hidden">{` for ${instance.id}`}</span>
                        </a>
                      ) : null}
                      {session.principal.role === 'operator' && instance.status === 'active' ? (
                        <a href={`/console/instances/${instance.id}/revoke`}>
                          Revoke<span class="visually-hidden">{` ${instance.id}`}</span>
                        </a>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Layout>,
      )
    })
    .get('/console/instances/:id/revoke', requireConsole('write'), async (c) => {
      const { id } = parseInput(instanceIdParam, c.req.param(), 'path')
      const instance = await deps.instances.get(id)
      if (!instance) throw new IntentGateError('INSTANCE_NOT_FOUND', 'No such instance', { details: id })
      return renderPage(
        c,
        <ConfirmRevoke
          session={c.get('session') as ConsoleSession}
          title={`Revoke instance ${id}`}
          what={`${id} (${instance.templateId})`}
          consequence="Every token of this instance stops working at once, on every gateway process."
          action={`/console/instances/${id}/revoke`}
          back="/console/instances"
        />,
      )
    })
    .post('/console/instances/:id/revoke', requireConsole('write'), async (c) => {
      const { id } = parseInput(instanceIdParam, c.req.param(), 'path')
      const { reason } = parseInput(reasonForm, await c.req.parseBody(), 'body')
      const session = c.get('session') as ConsoleSession
      await revokeInstance(deps, session.principal, { id, reason })
      return c.redirect('/console/instances', 303)
    })
}
