import { describe, expect, test } from 'vitest'
import type { Decision } from './decision.js'
import { createPolicyStore, type LoadedPolicy } from './policyStore.js'
import { createShadowedPolicyStore, type ShadowObservation } from './shadowPolicy.js'
import type { PolicyInput, WasmPolicy } from './wasmPolicy.js'

/** A policy written as a rule over the input's `to`: it allows what `allows` accepts. */
function rulePolicy(
  revision: string,
  allows: (to: unknown) => boolean,
  code = 'TARGET_NOT_ALLOWED',
): WasmPolicy {
  return {
    revision,
    digest: `sha256:${revision}`,
    entrypoint: 'intentgate/decision',
    evaluate: (input: PolicyInput): Decision =>
      allows(input.to)
        ? { allow: true, reasons: [], limits: [] }
        : { allow: false, reasons: [{ code, message: 'no' }], limits: [] },
  }
}
const loaded = (policy: WasmPolicy): LoadedPolicy => ({
  policy,
  revision: policy.revision,
  digest: policy.digest,
})
const input = (to: string) => ({ to, intent: { requestDigest: `0x${to}` } })

describe('createShadowedPolicyStore', () => {
  test('by default the candidate runs after the answer is returned, not before', async () => {
    const observations: ShadowObservation[] = []
    const store = createShadowedPolicyStore({
      store: createPolicyStore({ initial: rulePolicy('active', () => true) }),
      shadow: loaded(rulePolicy('candidate', () => false)),
      observe: (observation) => observations.push(observation),
    })
    expect(store.current().policy.evaluate(input('poll')).allow).toBe(true)
    expect(observations).toStrictEqual([])
    await new Promise((resolve) => setImmediate(resolve))
    expect(observations.map((observation) => observation.change)).toStrictEqual(['newly-denied'])
  })

  test('answers with the active decision and reports what the candidate would have decided', () => {
    const observations: ShadowObservation[] = []
    const store = createShadowedPolicyStore({
      store: createPolicyStore({ initial: rulePolicy('active', (to) => to !== 'evil') }),
      shadow: loaded(rulePolicy('candidate', (to) => to === 'poll')),
      observe: (observation) => observations.push(observation),
      schedule: (task) => task(),
    })
    const snapshot = store.current()
    expect(snapshot.policy.evaluate(input('poll')).allow).toBe(true)
    expect(snapshot.policy.evaluate(input('badge')).allow).toBe(true)
    expect(snapshot.policy.evaluate(input('evil')).allow).toBe(false)
    expect(observations.map((observation) => observation.change)).toStrictEqual([
      'unchanged',
      'newly-denied',
      'unchanged',
    ])
    expect(observations[1]).toMatchObject({
      requestDigest: '0xbadge',
      active: { revision: 'active', decision: { allow: true } },
      shadow: { revision: 'candidate', digest: 'sha256:candidate', decision: { allow: false } },
    })
    expect(store.current()).toBe(snapshot)
    expect(snapshot.revision).toBe('active')
  })

  test('a hold is told apart from an allow and a deny, and a hold for another k is a disagreement', () => {
    /** Holds `to: 'big'` for `required` approvals, allows the rest. */
    const holding = (revision: string, required: number): WasmPolicy => ({
      ...rulePolicy(revision, () => true),
      evaluate: (input: PolicyInput): Decision =>
        input.to === 'big'
          ? {
              allow: false,
              reasons: [{ code: 'APPROVAL_REQUIRED', message: 'big' }],
              limits: [],
              approvals: { required, reason: 'big' },
            }
          : { allow: true, reasons: [], limits: [] },
    })
    const observe = (active: WasmPolicy, candidate: WasmPolicy, to: string) => {
      const observations: ShadowObservation[] = []
      const store = createShadowedPolicyStore({
        store: createPolicyStore({ initial: active }),
        shadow: loaded(candidate),
        observe: (observation) => observations.push(observation),
        schedule: (task) => task(),
      })
      const answer = store.current().policy.evaluate(input(to))
      expect(answer).toStrictEqual(active.evaluate(input(to)))
      const [observation] = observations
      return (
        observation && [
          observation.change,
          observation.transition,
          observation.active.outcome,
          observation.shadow.outcome,
        ]
      )
    }
    const allowAll = rulePolicy('allow-all', () => true)
    const denyAll = rulePolicy('deny-all', () => false)
    expect(observe(allowAll, holding('k2', 2), 'big')).toStrictEqual([
      'newly-held',
      'allow->held k=2',
      'allow',
      'held',
    ])
    expect(observe(holding('k2', 2), allowAll, 'big')).toStrictEqual([
      'no-longer-held',
      'held k=2->allow',
      'held',
      'allow',
    ])
    expect(observe(holding('k2', 2), denyAll, 'big')).toStrictEqual([
      'newly-denied',
      'held k=2->deny',
      'held',
      'deny',
    ])
    expect(observe(denyAll, holding('k2', 2), 'big')).toStrictEqual([
      'newly-held',
      'deny->held k=2',
      'deny',
      'held',
    ])
    expect(observe(holding('k2', 2), holding('k3', 3), 'big')).toStrictEqual([
      'approvals-changed',
      'held k=2->held k=3',
      'held',
      'held',
    ])
    expect(observe(holding('k2', 2), holding('k2b', 2), 'big')).toStrictEqual([
      'unchanged',
      'held k=2->held k=2',
      'held',
      'held',
    ])
  })

  test('a candidate or an observer that throws never changes the answer', () => {
    const broken: WasmPolicy = {
      ...rulePolicy('broken', () => true),
      evaluate: () => {
        throw new Error('boom')
      },
    }
    const active = createPolicyStore({ initial: rulePolicy('active', () => true) })
    const throwing = createShadowedPolicyStore({
      store: active,
      shadow: loaded(broken),
      observe: () => undefined,
    })
    expect(throwing.current().policy.evaluate(input('poll')).allow).toBe(true)
    const noisy = createShadowedPolicyStore({
      store: active,
      shadow: loaded(rulePolicy('candidate', () => false)),
      observe: () => {
        throw new Error('observer down')
      },
      schedule: (task) => task(),
    })
    expect(noisy.current().policy.evaluate(input('poll')).allow).toBe(true)
  })
})
