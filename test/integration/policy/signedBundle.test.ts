import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { PolicyBundleError, type PolicyBundleProblem } from '../../../src/policy/policyBundleError.js'
import { loadPolicyBundle } from '../../../src/policy/policyStore.js'
import { verifyPolicyBundle } from '../../../src/policy/verifyPolicyBundle.js'
import { repoRoot } from '../../support/paths.js'
import {
  bundleBuildArgs,
  entryText,
  generateSigningKey,
  opaPath,
  opaTimeoutMs,
  repackBundle,
  replaceEntry,
  run,
  type SigningKey,
  signPolicies,
} from './policyBundles.js'

let workDir: string
let rsaKey: SigningKey
let otherRsaKey: SigningKey
let ecKey: SigningKey
let signed: Uint8Array

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'intentgate-bundle-'))
  rsaKey = generateSigningKey(workDir, 'ops', 'rsa')
  otherRsaKey = generateSigningKey(workDir, 'other', 'rsa')
  ecKey = generateSigningKey(workDir, 'ec', 'p256')
  signed = signPolicies({ key: rsaKey, keyId: 'ops', revision: 'r1', output: join(workDir, 'r1.tar.gz') })
}, opaTimeoutMs)

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

const keys = () => ({ ops: rsaKey.publicKeyPem, ec: ecKey.publicKeyPem })

function problemOf(bundle: Uint8Array, options = { keys: keys() }): PolicyBundleProblem {
  try {
    verifyPolicyBundle(bundle, options)
  } catch (error) {
    if (error instanceof PolicyBundleError) return error.problem
    throw error
  }
  throw new Error('the bundle verified')
}

const committed = (name: string) => new Uint8Array(readFileSync(join(repoRoot, 'policies', 'build', name)))

describe('a bundle signed by scripts/policies sign (opa build --signing-key)', () => {
  test('verifies, and carries exactly the committed Wasm and data', () => {
    const verified = verifyPolicyBundle(signed, { keys: keys() })
    expect(verified.revision).toBe('r1')
    expect(verified.keyId).toBe('ops')
    expect(verified.algorithm).toBe('RS256')
    expect(verified.digest).toBe(`sha256:${createHash('sha256').update(signed).digest('hex')}`)
    expect(Buffer.from(verified.wasm).equals(committed('policy.wasm'))).toBe(true)
    expect(verified.data).toEqual(JSON.parse(new TextDecoder().decode(committed('data.json'))))
    expect(verified.files).toEqual(expect.arrayContaining(['.manifest', 'data.json', 'policy.wasm']))
    expect(verified.files.filter((name) => name.endsWith('.rego')).length).toBeGreaterThan(0)
  })

  test('verifies when signed with ES256', () => {
    const output = join(workDir, 'ec.tar.gz')
    const bundle = signPolicies({ key: ecKey, keyId: 'ec', revision: 'r-ec', output, alg: 'ES256' })
    expect(verifyPolicyBundle(bundle, { keys: keys() })).toMatchObject({
      revision: 'r-ec',
      algorithm: 'ES256',
    })
  })

  test('loads and decides', async () => {
    const loaded = await loadPolicyBundle(signed, { keys: keys() })
    const input = JSON.parse(
      readFileSync(join(repoRoot, 'src', 'policy', 'testdata', 'allowedPolicyInput.json'), 'utf8'),
    ) as Record<string, unknown>
    expect(loaded.revision).toBe('r1')
    expect(loaded.policy.evaluate(input).allow).toBe(true)
  })

  test('still verifies with data.json reformatted, since JSON is hashed in canonical form', () => {
    const reformatted = repackBundle(signed, (entries) =>
      replaceEntry(
        entries,
        'data.json',
        JSON.stringify(JSON.parse(entryText(entries, 'data.json')), null, 4),
      ),
    )
    expect(verifyPolicyBundle(reformatted, { keys: keys() }).revision).toBe('r1')
  })
})

describe('refused bundles', () => {
  test('an unsigned bundle, built by opa without --signing-key', () => {
    const output = join(workDir, 'unsigned.tar.gz')
    run(opaPath(), [...bundleBuildArgs('unsigned', output), 'policies'])
    expect(problemOf(new Uint8Array(readFileSync(output)))).toBe('unsigned')
  })

  test('one byte of policy.wasm changed', () => {
    const tampered = repackBundle(signed, (entries) =>
      entries.map((entry) => {
        if (entry.name !== 'policy.wasm') return entry
        const data = entry.data.slice()
        data[data.length - 1] = (data.at(-1) ?? 0) ^ 1
        return { name: entry.name, data }
      }),
    )
    expect(problemOf(tampered)).toBe('file-tampered')
  })

  test('the .manifest revision changed', () => {
    const tampered = repackBundle(signed, (entries) =>
      replaceEntry(entries, '.manifest', entryText(entries, '.manifest').replace('"r1"', '"r2"')),
    )
    expect(problemOf(tampered)).toBe('file-tampered')
  })

  test('a level gate lowered in data.json', () => {
    const tampered = repackBundle(signed, (entries) => {
      const data = entryText(entries, 'data.json')
      expect(data).toContain('"value_moving_min_level":2')
      return replaceEntry(
        entries,
        'data.json',
        data.replace('"value_moving_min_level":2', '"value_moving_min_level":0'),
      )
    })
    expect(problemOf(tampered)).toBe('file-tampered')
  })

  test('signed with another key under the trusted key id', () => {
    const output = join(workDir, 'impostor.tar.gz')
    const bundle = signPolicies({ key: otherRsaKey, keyId: 'ops', revision: 'r1', output })
    expect(problemOf(bundle)).toBe('signature-invalid')
  })

  test('signed under a key id the gateway does not trust', () => {
    const output = join(workDir, 'stranger.tar.gz')
    const bundle = signPolicies({ key: otherRsaKey, keyId: 'stranger', revision: 'r1', output })
    expect(problemOf(bundle)).toBe('key-unknown')
  })

  test('a file added that the signature does not list', () => {
    const extended = repackBundle(signed, (entries) => [
      ...entries,
      { name: 'policies/intentgate/extra.rego', data: new TextEncoder().encode('package intentgate\n') },
    ])
    expect(problemOf(extended)).toBe('file-unlisted')
  })

  test('a signed file removed', () => {
    const shortened = repackBundle(signed, (entries) => entries.filter((entry) => entry.name !== 'data.json'))
    expect(problemOf(shortened)).toBe('file-missing')
  })

  test('bytes that are not a gzipped tar', () => {
    expect(problemOf(new TextEncoder().encode('not a bundle'))).toBe('malformed')
  })

  test('a bundle larger than the limit', () => {
    expect(() => verifyPolicyBundle(signed, { keys: keys(), maxBytes: 1024 })).toThrow(
      `the bundle is ${signed.length} bytes, more than 1024`,
    )
  })
})
