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
