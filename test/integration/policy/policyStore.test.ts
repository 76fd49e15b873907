import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PolicyBundleError } from '../../../src/policy/policyBundleError.js'
import {
  createPolicyStore,
  type LoadedPolicy,
  loadPolicyBundle,
  type PolicySnapshot,
} from '../../../src/policy/policyStore.js'
import { repoRoot } from '../../support/paths.js'
import {
  entryText,
  generateSigningKey,
  opaTimeoutMs,
  repackBundle,
  replaceEntry,
  type SigningKey,
  signEntries,
  signPolicies,
  signPoliciesWithData,
  unpackBundle,
  writeBundle,
} from './policyBundles.js'

const allowedInput = JSON.parse(
  readFileSync(join(repoRoot, 'src', 'policy', 'testdata', 'allowedPolicyInput.json'), 'utf8'),
) as { intent: { sender: string } } & Record<string, unknown>
const committedData = JSON.parse(readFileSync(join(repoRoot, 'policies', 'build', 'data.json'), 'utf8')) as {
  intentgate: { config: Record<string, unknown> }
}

let workDir: string
let key: SigningKey
let first: Uint8Array
let denying: Uint8Array
let third: Uint8Array

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'intentgate-store-'))
  key = generateSigningKey(workDir, 'ops', 'rsa')
  first = signPolicies({ key, keyId: 'ops', revision: 'r1', output: join(workDir, 'r1.tar.gz') })
  // r2 puts the fixture's sender on the deny-list, so which revision decided is visible.
  const config = { ...committedData.intentgate.config, denylist: { addresses: [allowedInput.intent.sender] } }
  denying = signPoliciesWithData(
    workDir,
    { config },
    { key, keyId: 'ops', revision: 'r2', output: join(workDir, 'r2.tar.gz') },
  )
  third = signPolicies({ key, keyId: 'ops', revision: 'r3', output: join(workDir, 'r3.tar.gz') })
}, opaTimeoutMs)

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

const verification = () => ({ keys: { ops: key.publicKeyPem } })

async function storeAtFirst() {
  const initial: LoadedPolicy = await loadPolicyBundle(first, verification())
  let second = 0
  const clock = () => new Date(Date.UTC(2026, 0, 1, 0, 0, second++))
  return createPolicyStore({ initial, verification: verification(), clock })
}

const decide = (snapshot: PolicySnapshot) => snapshot.policy.evaluate(allowedInput)

describe('createPolicyStore', () => {
  test('serves the initial bundle with its revision and digest', async () => {
    const store = await storeAtFirst()
    const active = store.current()
    expect(active).toMatchObject({ revision: 'r1', keyId: 'ops', activatedAt: '2026-01-01T00:00:00.000Z' })
    expect(active.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(Object.isFrozen(active)).toBe(true)
    expect(decide(active).allow).toBe(true)
    expect(store.history()).toEqual([])
  })

  test('a snapshot taken before a swap keeps deciding with its own revision', async () => {
    const store = await storeAtFirst()
    const inFlight = store.current()
    const swapping = store.swap(denying)
    // Still in flight while the new bundle is verified and compiled.
    expect(decide(inFlight).allow).toBe(true)
    const { active, replaced } = await swapping
    expect(replaced).toBe(inFlight)
    expect(active.revision).toBe('r2')
    expect(store.current()).toBe(active)
    expect(decide(inFlight)).toMatchObject({ allow: true })
    expect(decide(store.current()).reasons).toEqual([
      { code: 'ADDRESS_DENIED', message: `the sender ${allowedInput.intent.sender} is on the deny-list` },
    ])
  })

  test('every request decided during a swap is decided by exactly one revision', async () => {
    const store = await storeAtFirst()
    const decisions: { revision: string; allow: boolean }[] = []
    let swapped = false
    const swapping = store.swap(denying).then(() => {
      swapped = true
    })
    // Requests keep arriving, one per turn of the event loop, until well after the swap landed.
    let afterSwap = 0
    while (afterSwap < 50) {
      await new Promise((resolve) => setImmediate(resolve))
      const snapshot = store.current()
      decisions.push({ revision: snapshot.revision, allow: decide(snapshot).allow })
      if (swapped) afterSwap++
    }
    await swapping
    for (const { revision, allow } of decisions) expect(allow).toBe(revision === 'r1')
    const revisions = decisions.map(({ revision }) => revision)
    expect(revisions[0]).toBe('r1')
    expect(revisions.at(-1)).toBe('r2')
    // Once r2 is active no request goes back to r1.
    expect(revisions.slice(revisions.indexOf('r2')).every((revision) => revision === 'r2')).toBe(true)
  })

  test('a tampered bundle is refused and the active policy stays', async () => {
    const store = await storeAtFirst()
    const before = store.current()
    const tampered = repackBundle(denying, (entries) =>
      replaceEntry(entries, '.manifest', entryText(entries, '.manifest').replace('"r2"', '"r9"')),
    )
    await expect(store.swap(tampered)).rejects.toMatchObject({ problem: 'file-tampered' })
    await expect(store.swap(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(PolicyBundleError)
    expect(store.current()).toBe(before)
    expect(store.history()).toEqual([])
  })

  test('a signed bundle whose Wasm does not load is refused and the active policy stays', async () => {
    const store = await storeAtFirst()
    const before = store.current()
    const broken = writeBundle(
      signEntries(
        replaceEntry(
          unpackBundle(third).filter((entry) => entry.name !== '.signatures.json'),
          'policy.wasm',
          'not wasm',
        ),
        key,
        'ops',
      ),
    )
    await expect(store.swap(broken)).rejects.toMatchObject({
      problem: 'load-failed',
      details: expect.stringMatching(/^policy r3: not a loadable OPA Wasm module/),
    })
    expect(store.current()).toBe(before)
  })

  test('swaps apply in the order asked for, and history keeps what they replaced', async () => {
    const store = await storeAtFirst()
    const [toSecond, toThird] = await Promise.all([store.swap(denying), store.swap(third)])
    expect(toSecond.replaced.revision).toBe('r1')
    expect(toThird.replaced.revision).toBe('r2')
    expect(store.current().revision).toBe('r3')
    expect(
      store.history().map(({ revision, activatedAt, replacedAt }) => [revision, activatedAt, replacedAt]),
    ).toEqual([
      ['r2', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'],
      ['r1', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z'],
    ])
    expect(store.history()[0]?.digest).toBe(toSecond.active.digest)
  })

  test('history keeps at most historyLimit entries', async () => {
    const initial = await loadPolicyBundle(first, verification())
    const store = createPolicyStore({ initial, verification: verification(), historyLimit: 1 })
    await store.swap(denying)
    await store.swap(third)
    expect(store.history().map(({ revision }) => revision)).toEqual(['r2'])
  })

  test('starts from a policy loaded without a bundle, named by its Wasm digest', async () => {
    const initial = await loadPolicyBundle(first, verification())
    const store = createPolicyStore({ initial: initial.policy, verification: verification() })
    expect(store.current()).toMatchObject({ revision: 'r1', digest: initial.policy.digest })
    expect('keyId' in store.current()).toBe(false)
  })

  test('refuses to start with a key it could never verify with', async () => {
    const initial = await loadPolicyBundle(first, verification())
    expect(() => createPolicyStore({ initial, verification: { keys: { ops: 'not a key' } } })).toThrow()
  })
})

describe('a store configured with no signing keys', () => {
  test('refuses every bundle, even a well-signed one', async () => {
    const initial = await loadPolicyBundle(first, verification())
    const store = createPolicyStore({ initial })
    await expect(store.swap(denying)).rejects.toMatchObject({
      problem: 'key-unknown',
      details: 'the gateway trusts no bundle signing key',
    })
    expect(store.current().revision).toBe('r1')
  })
})
