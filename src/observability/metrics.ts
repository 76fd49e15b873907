import { Counter, collectDefaultMetrics, Histogram, type Registry } from 'prom-client'

export type Metrics = {
  readonly registry: Registry
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  /** Live decisions the shadow policy also made, by how its verdict differs (`unchanged` when it agrees). */
  readonly policyShadowDecisions: Counter<'change'>
}

/**
 * Creates the gateway's metrics in the registry it is given, never in prom-client's global one,
 * so tests and several apps in one process do not collide.
 */
export function createMetrics(registry: Registry): Metrics {
  collectDefaultMetrics({ register: registry, prefix: 'intentgate_' })
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'intentgate_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    policyShadowDecisions: new Counter({
      name: 'intentgate_policy_shadow_decisions_total',
      help: 'Live decisions evaluated by the shadow policy too, by change: unchanged, newly-denied, newly-allowed, reasons-changed.',
      labelNames: ['change'],
      registers: [registry],
    }),
  }
}
