import { Hono } from 'hono'
import type { Registry } from 'prom-client'

/** Prometheus exposition of the registry the gateway was built with. */
export function metricsRoute(parameters: { registry: Registry }) {
  const { registry } = parameters
  return new Hono().get('/metrics', async (c) => {
    const body = await registry.metrics()
    return c.body(body, 200, { 'Content-Type': registry.contentType })
  })
}
