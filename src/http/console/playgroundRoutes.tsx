import { Hono } from 'hono'
import { keccak256, toHex } from 'viem'
import { z } from 'zod'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { jsonNestsDeeperThan, maxJsonNesting } from '../../crypto/jsonNesting.js'
import { IntentGateError } from '../../errors/index.js'
import type { Intent } from '../../intents/intent.js'
import { type DryRunDeps, type DryRunResult, evaluateDryRun } from '../../pipeline/evaluateDryRun.js'
import type { InstanceRecord, InstanceStore } from '../../templates/instances.js'
import { parseInput } from '../readJson.js'
import { evaluateBody } from '../routes/admin/evaluatePolicy.js'
import type { ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { Badge, CsrfField, Layout, ReadOnlyNotice, renderPage } from './layout.js'

type Deps = { dryRun: DryRunDeps; instances: Pick<InstanceStore, 'list' | 'get'> }

const playgroundForm = z.object({
  instanceId: z.string().max(64),
  request: z.string().max(64 * 1024),
  now: z.string().trim().max(20).optional(),
})

/**
 * An Intent that calls the instance's first allowed function, valid for ten minutes: something
 * to edit rather than a blank box. The digest is made up (a dry run never looks it up).
 */
export function exampleIntent(instance: InstanceRecord, now: number): { intent: Intent } {
  const call = instance.intent.calls[0]
  const selector = call?.functions[0]?.selector ?? null
  return {
    intent: {
      kind: 'meta-tx',
      chainId: instance.intent.chains[0] ?? 1,
      sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      calls: [
        {
          path: '0',
          depth: 0,
          role: 'call',
          to: call?.to ?? '0x0000000000000000000000000000000000000000',
          value: '0',
          selector,
          dataHash: keccak256(selector ?? '0x'),
          dataLength: selector ? 4 : 0,
        },
      ],
      gas: { limit: '200000', maxFeePerGas: '2000000000', maxCostWei: '400000000000000' },
      validUntil: now + 600,
      nonce: '0',
      requestDigest: keccak256(toHex(`playground ${instance.id} ${now}`)),
    },
  }
}

function PlaygroundPage(props: {
  session: ConsoleSession
  instances: InstanceRecord[]
  instanceId: string
  request: string
  now: string
  result?: DryRunResult
  problem?: string
}) {
  const { session, result } = props
  const operator = session.principal.role === 'operator'
  return (
    <Layout title="Policy playground" session={session} current="/console/playground">
      <ReadOnlyNotice session={session} />
      <p>
        A dry run of the active policy, through the same code as <code>POST /v1/policy/evaluate</code>: no
        counters, no log entry, no record. Give an Intent (<code>{'{"intent": …}'}</code>) or a signed
        meta-transaction (<code>{'{"metaTransaction": …}'}</code>), which is also normalized and simulated.
      </p>
      <form method="get" action="/console/playground" class="filters" aria-label="Load an example">
        <div class="field">
          <label for="example-instance">Instance for the example</label>
          <select id="example-instance" name="instance">
            {props.instances.map((instance) => (
              <option value={instance.id} selected={instance.id === props.instanceId}>
                {`${instance.id} (${instance.templateId})`}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="secondary">
          Load an example intent
        </button>
      </form>
      <form method="post" action="/console/playground" class="stack">
        <CsrfField session={session} />
        <div class="field">
          <label for="playground-instance">Instance</label>
          <select id="playground-instance" name="instanceId" required>
            {props.instances.map((instance) => (
              <option value={instance.id} selected={instance.id === props.instanceId}>
                {`${instance.id} (${instance.templateId})`}
              </option>
            ))}
          </select>
        </div>
        <label>
          Request (JSON)
          <textarea name="request" rows={18} required spellcheck={false}>
            {props.request}
          </textarea>
        </label>
        <label>
          Decide at (unix seconds; empty for now)
          <input name="now" inputmode="numeric" value={props.now} />
        </label>
        <div>
          <button type="submit" disabled={!operator}>
            Evaluate
          </button>
        </div>
      </form>
      {props.problem ? (
        <p class="notice error" role="alert">
          {props.problem}
        </p>
      ) : null}
      {result ? (
        <section aria-labelledby="result-heading" role="status">
          <h2 id="result-heading">Decision</h2>
          <p>
            <Badge value={result.decision.allow ? 'allow' : result.decision.approvals ? 'held' : 'deny'} /> by
            policy {result.policy.revision} (<span class="mono">{result.policy.digest}</span>)
          </p>
          {result.decision.reasons.length === 0 ? (
            <p>No reasons: the policy allows it.</p>
          ) : (
            <ul>
              {result.decision.reasons.map((reason) => (
                <li>
                  <code>{reason.code}</code>: {reason.message}
                </li>
              ))}
            </ul>
          )}
          {result.checks ? (
            <>
              <h2>Checks before the policy</h2>
              <ul>
                {Object.entries(result.checks).map(([name, check]) => (
                  <li>
                    {name}: {check.ok ? 'ok' : `fails (${check.detail ?? ''})`}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>Limits it would reserve</h2>
          {result.decision.limits.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul>
              {result.decision.limits.map((limit) => (
                <li>
                  {limit.id}: {limit.amount} of {limit.max} ({limit.scope} {limit.metric})
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </Layout>
  )
}

/** GET /console/playground (everyone sees it) and POST /console/playground (the dry run, operators, as the API). */
export function playgroundRoutes(deps: Deps) {
  const activeInstances = async () =>
    (await deps.instances.list({ limit: 200 })).filter((instance) => instance.status === 'active')
  return new Hono<ConsoleEnv>()
    .get('/console/playground', requireConsole('read'), async (c) => {
      const instances = await activeInstances()
      const chosen = instances.find((instance) => instance.id === c.req.query('instance')) ?? instances[0]
      const now = deps.dryRun.now()
      return renderPage(
        c,
        <PlaygroundPage
          session={c.get('session') as ConsoleSession}
          instances={instances}
          instanceId={chosen?.id ?? ''}
          request={chosen ? JSON.stringify(exampleIntent(chosen, now), null, 2) : ''}
          now=""
        />,
      )
    })
    .post('/console/playground', requireConsole('write'), async (c) => {
      const form = parseInput(playgroundForm, await c.req.parseBody(), 'body')
      const page = {
        session: c.get('session') as ConsoleSession,
        instances: await activeInstances(),
        instanceId: form.instanceId,
        request: form.request,
        now: form.now ?? '',
      }
      let parsed: unknown
      try {
        if (jsonNestsDeeperThan(form.request, maxJsonNesting)) throw new SyntaxError('too deep')
        parsed = JSON.parse(form.request)
      } catch {
        return renderPage(c, <PlaygroundPage {...page} problem="The request is not valid JSON." />, 400)
      }
      const fields = typeof parsed === 'object' && parsed !== null ? parsed : {}
      try {
        const request = parseInput(
          evaluateBody,
          { ...fields, instanceId: form.instanceId, ...(form.now ? { now: Number(form.now) } : {}) },
          'body',
        )
        return renderPage(c, <PlaygroundPage {...page} result={await evaluateDryRun(deps.dryRun, request)} />)
      } catch (error) {
        if (!(error instanceof IntentGateError) || error.status >= 500) throw error
        const problem = [error.shortMessage, ...error.reasons.map((reason) => reason.message)].join('; ')
        return renderPage(c, <PlaygroundPage {...page} problem={problem} />, error.status as 400)
      }
    })
}
