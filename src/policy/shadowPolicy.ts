import {
  compareDecisions,
  type DecisionChange,
  type DecisionOutcome,
  outcomeOf,
  transitionLabel,
  verdictOf,
} from './compareDecisions.js'
import type { Decision } from './decision.js'
import type { LoadedPolicy, PolicySnapshot, PolicyStore } from './policyStore.js'
import type { PolicyInput, WasmPolicy } from './wasmPolicy.js'

/**
 * One live decision seen by the shadow: both decisions, what each came to (allow, deny or held),
 * how the shadow's differs, and the transition with each hold's k (`allow->held k=2`).
 */
export type ShadowObservation = {
  change: DecisionChange
  transition: string
  active: { revision: string; outcome: DecisionOutcome; decision: Decision }
  shadow: { revision: string; digest: string; outcome: DecisionOutcome; decision: Decision }
  /** The request the input was for, when the input names one. */
  requestDigest?: string
}

export type CreateShadowedPolicyStoreParameters = {
  store: PolicyStore
  /** The candidate evaluated beside the active policy; its decisions are never enforced. */
  shadow: LoadedPolicy
  /** Told of every shadowed decision; a metric and a log line, typically. Must not throw. */
  observe: (observation: ShadowObservation) => void
  /**
   * Runs the shadow evaluation. By default after the current turn (setImmediate), so the answer
   * never waits for the candidate: shadowing costs CPU, not latency on the request itself.
   */
  schedule?: (task: () => void) => void
}

/**
 * Shadow mode: a policy store whose active policy returns its decision unchanged and then, off
 * the request's path, runs the candidate on the same input and reports both decisions. Everything else is the
 * wrapped store's, so swaps, history and candidates work as before; the candidate follows no swap.
 * Give it only to the live pipeline: dry runs and replays are not traffic.
 */
export function createShadowedPolicyStore(parameters: CreateShadowedPolicyStoreParameters): PolicyStore {
  const { store, shadow, observe } = parameters
  const schedule = parameters.schedule ?? ((task: () => void) => void setImmediate(task))
  // One wrapper per snapshot, so a request's snapshot stays one object, as with the bare store.
  const wrapped = new WeakMap<PolicySnapshot, PolicySnapshot>()
  const shadowed = (snapshot: PolicySnapshot): PolicySnapshot => {
    let result = wrapped.get(snapshot)
    if (!result) {
      result = Object.freeze({
        ...snapshot,
        policy: shadowedPolicy(snapshot.policy, { shadow, observe, schedule }),
      })
      wrapped.set(snapshot, result)
    }
    return result
  }
  return {
    current: () => shadowed(store.current()),
    swap: (bundle) => store.swap(bundle),
    history: () => store.history(),
    loadCandidate: (bundle) => store.loadCandidate(bundle),
  }
}

function shadowedPolicy(
  active: WasmPolicy,
  beside: Pick<Required<CreateShadowedPolicyStoreParameters>, 'shadow' | 'observe' | 'schedule'>,
): WasmPolicy {
  const { shadow, observe, schedule } = beside
  return {
    revision: active.revision,
    digest: active.digest,
    entrypoint: active.entrypoint,
    evaluate(input: PolicyInput): Decision {
      const decision = active.evaluate(input)
      schedule(() => {
        // The shadow can never change the answer by failing: whatever it does is only reported,
        // and an observer that throws loses its report, never the request.
        try {
          const candidate = shadow.policy.evaluate(input)
          const before = verdictOf(decision)
          const after = verdictOf(candidate)
          const requestDigest = requestDigestOf(input)
          observe({
            change: compareDecisions(before, after),
            transition: transitionLabel(before, after),
            active: { revision: active.revision, outcome: outcomeOf(before), decision },
            shadow: {
              revision: shadow.revision,
              digest: shadow.digest,
              outcome: outcomeOf(after),
              decision: candidate,
            },
            ...(requestDigest ? { requestDigest } : {}),
          })
        } catch {
          return
        }
      })
      return decision
    },
  }
}

function requestDigestOf(input: PolicyInput): string | undefined {
  const intent = input.intent
  if (typeof intent !== 'object' || intent === null || !('requestDigest' in intent)) return undefined
  return typeof intent.requestDigest === 'string' ? intent.requestDigest : undefined
}
