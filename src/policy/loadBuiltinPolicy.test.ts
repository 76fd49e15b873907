import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { builtinPolicyRevision, loadBuiltinPolicy } from './loadBuiltinPolicy.js'
import { createPolicyStore } from './policyStore.js'
import { PolicyLoadError, wasmDigest } from './wasmPolicy.js'

const build = (name: string) => fileURLToPath(new URL(`../../policies/build/${name}`, import.meta.url))
const files = { wasmFile: build('policy.wasm'), dataFile: build('data.json') }
const allowedInput = JSON.parse(
  readFileSync(new URL('./testdata/allowedPolicyInput.json', import.meta.url), 'utf8'),
) as Record<string, unknown>

const workDir = mkdtempSync(join(tmpdir(), 'intentgate-builtin-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

describe('loadBuiltinPolicy', () => {
  test('loads the committed build with its data, ready to decide', async () => {
    const builtin = await loadBuiltinPolicy(files)
    expect(builtin.revision).toBe(builtinPolicyRevision)
    expect(builtin.policy.revision).toBe(builtinPolicyRevision)
    expect(builtin.policy.evaluate(allowedInput).allow).toBe(true)
  })

  test('names the policy by a digest of both the Wasm and the data', async () => {
    const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest()
    const expected = createHash('sha256')
      .update(sha256(files.wasmFile))
      .update(sha256(files.dataFile))
      .digest('hex')
    const builtin = await loadBuiltinPolicy(files)
    expect(builtin.digest).toBe(`sha256:${expected}`)
    expect(builtin.policy.digest).toBe(wasmDigest(new Uint8Array(readFileSync(files.wasmFile))))
  })

  test('gives changed data a different digest', async () => {
    const dataFile = join(workDir, 'data.json')
    const data = JSON.parse(readFileSync(files.dataFile, 'utf8')) as { intentgate: { config: object } }
    writeFileSync(
      dataFile,
      JSON.stringify({ intentgate: { config: { ...data.intentgate.config, extra: 1 } } }),
    )
    const [committed, changed] = await Promise.all([
      loadBuiltinPolicy(files),
      loadBuiltinPolicy({ ...files, dataFile }),
    ])
    expect(changed.digest).not.toBe(committed.digest)
  })

  test('refuses data that is not an object', async () => {
    const dataFile = join(workDir, 'list.json')
    writeFileSync(dataFile, '[]')
    await expect(loadBuiltinPolicy({ ...files, dataFile })).rejects.toThrow(PolicyLoadError)
  })
})

describe('createPolicyStore with the built-in policy', () => {
  test('serves it as a frozen snapshot with no history', async () => {
    const store = createPolicyStore({
      initial: await loadBuiltinPolicy(files),
      clock: () => new Date('2026-01-01T00:00:00Z'),
    })
    const active = store.current()
    expect(active).toMatchObject({ revision: 'builtin', activatedAt: '2026-01-01T00:00:00.000Z' })
    expect(Object.isFrozen(active)).toBe(true)
    expect(store.history()).toEqual([])
  })

  test('refuses what is not a bundle and keeps serving', async () => {
    const store = createPolicyStore({ initial: await loadBuiltinPolicy(files) })
    const before = store.current()
    await expect(store.swap(new TextEncoder().encode('{}'))).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
      problem: 'malformed',
    })
    expect(store.current()).toBe(before)
  })
})
