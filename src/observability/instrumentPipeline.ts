import type { ServedChain } from '../chain/servedChain.js'
import type { PipelineDeps } from '../pipeline/pipelineDeps.js'
import type { PolicySnapshot } from '../policy/policyStore.js'
import type { DecisionRates } from './decisionRates.js'
import type { DecisionStage, Metrics } from './metrics.js'

/** Reason codes become label values only in this shape; anything else counts as OTHER. */
const reasonCodePattern = /^[A-Z][A-Z0-9_]{0,63}$/
const templateIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/

/**
 * The pipeline's adapters with a timer around each stage and a counter behind every attested
 * decision. The stages are plain functions over the adapters passed in, so timing the adapters
 * times the stages, and the pipeline's own code stays as it is: the hot path pays two
 * `performance.now()` calls and one histogram observation per stage, with label children bound
 * once here.
 *
 * - authorize: `authorizer.authorizeClaims` (revocations, expiry, kill switch: one Redis trip)
 * - normalize: `chain.forwarderNonce` (the chain read the intent depends on)
 * - simulate: `chain.simulateForwardRequest`
 * - decide: the policy's `evaluate`, on the snapshot a request takes
 * - reserve: `limits.reserve`; attest: `attestor.attestDecision` (sign, append, fsync)
 * - enqueue: `relay.enqueue`
 */
export function instrumentPipeline(
  deps: PipelineDeps,
  observers: { metrics: Pick<Metrics, 'decisions' | 'decisionStageDuration'>; rates?: DecisionRates },
): PipelineDeps {
  const { metrics, rates } = observers
  const timer = (stage: DecisionStage) => {
    const child = metrics.decisionStageDuration.labels(stage)
    return <Args extends unknown[], Result>(work: (...args: Args) => Promise<Result>) =>
      async (...args: Args): Promise<Result> => {
        const started = performance.now()
        try {
          return await work(...args)
        } finally {
          child.observe((performance.now() - started) / 1000)
        }
      }
  }
  const normalize = timer('normalize')
  const simulate = timer('simulate')
  const decideChild = metrics.decisionStageDuration.labels('decide')
  // One wrapper per snapshot, so a request's `current()` allocates nothing.
  const timedSnapshots = new WeakMap<PolicySnapshot, PolicySnapshot>()
  const timedSnapshot = (snapshot: PolicySnapshot): PolicySnapshot => {
    const known = timedSnapshots.get(snapshot)
    if (known) return known
    const { policy } = snapshot
    const timed: PolicySnapshot = {
      ...snapshot,
      policy: Object.assign(Object.create(policy) as typeof policy, {
        evaluate(input: Parameters<typeof policy.evaluate>[0]) {
          const started = performance.now()
          try {
            return policy.evaluate(input)
          } finally {
            decideChild.observe((performance.now() - started) / 1000)
          }
        },
      }),
    }
    timedSnapshots.set(snapshot, timed)
    return timed
  }

  return {
    ...deps,
    authorizer: {
      ...deps.authorizer,
      authorizeClaims: timer('authorize')(deps.authorizer.authorizeClaims),
      // The recheck just before a commit is the same stage, read lighter (AppAuthorizer.recheck).
      recheck: timer('authorize')(deps.authorizer.recheck),
    },
    chains: new Map(
      [...deps.chains].map(([chainId, chain]): [number, ServedChain] => [
        chainId,
        {
          ...chain,
          forwarderNonce: normalize(chain.forwarderNonce),
          simulateForwardRequest: simulate(chain.simulateForwardRequest),
        },
      ]),
    ),
    policies: { ...deps.policies, current: () => timedSnapshot(deps.policies.current()) },
    limits: { ...deps.limits, reserve: timer('reserve')(deps.limits.reserve) },
    attestor: {
      ...deps.attestor,
      attestDecision: timer('attest')(async (parameters) => {
        const logged = await deps.attestor.attestDecision(parameters)
        // Counted once durable: the metric agrees with the log.
        const decision = parameters.decision.allow ? 'allow' : parameters.approval ? 'held' : 'deny'
        const reason = primaryReason(parameters.decision.reasons)
        metrics.decisions.inc({ decision, reason, template: templateLabel(parameters.template.id) })
        rates?.record(decision, reason)
        return logged
      }),
    },
    relay: { ...deps.relay, enqueue: timer('enqueue')(deps.relay.enqueue) },
  }
}

/** The label of a decision's reasons: the first code (policies sort them), `none` when there is none. */
export function primaryReason(reasons: readonly { code: string }[]): string {
  const code = reasons[0]?.code
  if (code === undefined) return 'none'
  return reasonCodePattern.test(code) ? code : 'OTHER'
}

/** Template ids are slugs; a refusal before the template was known is attested as `unknown`. */
function templateLabel(templateId: string): string {
  return templateIdPattern.test(templateId) ? templateId : 'unknown'
}
