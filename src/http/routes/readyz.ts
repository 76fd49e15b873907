import { Hono } from 'hono'
import type { ReadinessProbe } from '../../health/readiness.js'

/** Readiness: 200 when every dependency answers, 503 with the failing ones otherwise. */
export function readyzRoute(parameters: { readiness: ReadinessProbe }) {
  const { readiness } = parameters
  return new Hono().get('/readyz', async (c) => {
    const report = await readiness()
    return c.json(report, report.status === 'ready' ? 200 : 503)
  })
}
