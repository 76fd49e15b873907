import { Counter, collectDefaultMetrics, Histogram, type Registry } from 'prom-client'

/** The pipeline stages timed by `intentgate_decision_stage_duration_seconds` (see instrumentPipeline.ts). */
export const decisionStages = [
  'authorize',
  'normalize',
  'simulate',
  'decide',
  'reserve',
  'attest',
  'enqueue',
] as const
export type DecisionStage = (typeof decisionStages)[number]

export type Metrics = {
  readonly registry: Registry
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>
  /**
   * Live decisions the shadow policy also made, by how its decision differs (`unchanged` when it
   * agrees) and what each policy came to: allow, deny or held.
   */
  readonly policyShadowDecisions: Counter<'change' | 'active' | 'shadow'>
  /** Attested decisions, by verdict, primary reason code and template id. */
  readonly decisions: Counter<'decision' | 'reason' | 'template'>
  /** Time spent in each stage of the decision pipeline. */
  readonly decisionStageDuration: Histogram<'stage'>
}

/**
 * Creates the gateway's metrics in the registry it is given, never in prom-client's global one,
 * so tests and several apps in one process do not collide.
 *
 * Labels stay bounded: templates are published by operators, reasons are codes, stages a fixed
 * list; instance ids, senders and request digests never become labels.
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
      help: 'Live decisions evaluated by the shadow policy too, by change (unchanged, newly-denied, newly-allowed, reasons-changed, newly-held, no-longer-held, approvals-changed) and by what the active and the shadow policy decided (allow, deny, held).',
      labelNames: ['change', 'active', 'shadow'],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'intentgate_decisions_total',
      help: 'Attested decisions by decision (allow, deny, held), primary reason code (none when allowed) and template id.',
      labelNames: ['decision', 'reason', 'template'],
      registers: [registry],
    }),
    decisionStageDuration: new Histogram({
      name: 'intentgate_decision_stage_duration_seconds',
      help: 'Time spent in each stage of the decision pipeline: authorize, normalize (chain reads), simulate, decide (policy), reserve (limits), attest (sign and fsync), enqueue.',
      labelNames: ['stage'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  }
}
