import { Hono } from 'hono'
import type { LimitUsage } from '../../limits/limitUsage.js'
import type { ConsoleCounters, ConsoleEnv } from './consoleEnv.js'
import { requireConsole } from './consoleSecurity.js'
import { Layout, renderPage } from './layout.js'

const busiestShown = 10

/** Every live figure, as one fragment the page script swaps in place every few seconds. */
async function LiveCounters(props: { counters: ConsoleCounters }) {
  const { counters } = props
  const [minutes, usage, depth, outcomes] = await Promise.all([
    counters.rates.perMinute(),
    counters.limitUsage().catch(() => undefined),
    counters.queueDepth().catch(() => undefined),
    counters.relayOutcomes(),
  ])
  const totals = new Map<string, number>()
  for (const minute of minutes)
    for (const [key, count] of Object.entries(minute.counts)) totals.set(key, (totals.get(key) ?? 0) + count)
  const busiest = [...(usage ?? [])]
    .filter((entry) => entry.scope === 'instance')
    .sort((a, b) => b.ratio - a.ratio)
    .slice(0, busiestShown)
  return (
    <div class="grid">
      <section aria-labelledby="rates-heading">
        <h2 id="rates-heading">Decisions per minute</h2>
        <table>
          <caption class="visually-hidden">Decisions per minute, last {minutes.length} minutes</caption>
          <thead>
            <tr>
              <th scope="col">Minute (UTC)</th>
              <th scope="col">Decisions</th>
              <th scope="col">By decision and reason</th>
            </tr>
          </thead>
          <tbody>
            {[...minutes].reverse().map((minute) => (
              <tr>
                <td>{minute.minute.slice(11, 16)}</td>
                <td>{minute.total}</td>
                <td>
                  {Object.entries(minute.counts)
                    .map(([key, count]) => `${key}: ${count}`)
                    .join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Last {minutes.length} minutes by decision and reason</h2>
        {totals.size === 0 ? (
          <p>No decision yet.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Totals by decision and reason</caption>
            <thead>
              <tr>
                <th scope="col">Decision</th>
                <th scope="col">Reason</th>
                <th scope="col">Count</th>
              </tr>
            </thead>
            <tbody>
              {[...totals]
                .sort((a, b) => b[1] - a[1])
                .map(([key, count]) => {
                  const [decision, reason] = key.split(' ')
                  return (
                    <tr>
                      <td>{decision}</td>
                      <td>
                        <code>{reason}</code>
                      </td>
                      <td>{count}</td>
                    </tr>
                  )
                })}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="busiest-heading">
        <h2 id="busiest-heading">Busiest instances (limit utilisation)</h2>
        {usage === undefined ? (
          <p>Limit counters cannot be read right now (Redis).</p>
        ) : (
          <Busiest rows={busiest} />
        )}
        <h2>Relay queue depth</h2>
        {depth === undefined ? (
          <p>The queues cannot be read right now (Redis).</p>
        ) : (
          <ul>
            {depth.map((chain) => (
              <li>
                chain {chain.chainId}: {chain.depth} waiting or running
              </li>
            ))}
          </ul>
        )}
        <h2>Relay outcomes (this process)</h2>
        {outcomes.length === 0 ? (
          <p>No relayed request has ended in this process yet.</p>
        ) : (
          <ul>
            {outcomes.map((outcome) => (
              <li>
                chain {outcome.chain}, {outcome.status}: {outcome.count}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  )
}

function Busiest(props: { rows: LimitUsage[] }) {
  if (props.rows.length === 0) return <p>No instance-scope limit has counted anything in its window.</p>
  return (
    <table>
      <caption class="visually-hidden">Instances whose limits are fullest</caption>
      <thead>
        <tr>
          <th scope="col">Instance</th>
          <th scope="col">Limit</th>
          <th scope="col">Used</th>
          <th scope="col">Utilisation</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr>
            <td>
              <a class="mono" href={`/console/entries?instance=${row.instanceId}`}>
                {row.instanceId}
              </a>{' '}
              ({row.templateId})
            </td>
            <td>
              {row.limitId} ({row.metric})
            </td>
            <td>
              {row.used} of {row.max}
            </td>
            <td>
              <meter min={0} max={1} value={row.ratio} aria-label={`${row.instanceId} ${row.limitId}`}>
                {`${Math.round(row.ratio * 100)}%`}
              </meter>{' '}
              {`${Math.round(row.ratio * 1000) / 10}%`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** GET /console (the live counters) and GET /console/counters/live (the fragment the page refreshes with). */
export function countersRoutes(deps: { counters: ConsoleCounters }) {
  return new Hono<ConsoleEnv>()
    .get('/console', requireConsole('read'), async (c) =>
      renderPage(
        c,
        <Layout
          title="Live counters"
          session={c.get('session')}
          current="/console"
          scripts={['/console/assets/liveCounters.js']}
        >
          <div class="actions">
            <p>
              Figures refresh every 5 seconds. Decisions and relay outcomes are this process's; limits and
              queues are shared.
            </p>
            {/* Disabled until liveCounters.js has wired it: without the script nothing refreshes. */}
            <button type="button" class="secondary" data-live-toggle aria-pressed="false" disabled>
              Pause updates
            </button>
          </div>
          <div data-live-counters>
            <LiveCounters counters={deps.counters} />
          </div>
        </Layout>,
      ),
    )
    .get('/console/counters/live', requireConsole('read'), async (c) =>
      c.html(await (<LiveCounters counters={deps.counters} />).toString()),
    )
}
