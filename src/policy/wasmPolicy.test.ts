import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  decisionFromResultSet,
  decisionFromThrown,
  loadWasmPolicy,
  loadWasmPolicyFromFile,
  type PolicyInput,
  PolicyLoadError,
  type WasmPolicy,
  wasmDigest,
} from './wasmPolicy.js'

// The committed build, so these tests run on a machine without OPA; check-fresh in
// scripts/policies keeps it in step with the Rego.
const committedWasmPath = fileURLToPath(new URL('../../policies/build/policy.wasm', import.meta.url))
const committedWasm = new Uint8Array(readFileSync(committedWasmPath))
const committedDataPath = fileURLToPath(new URL('../../policies/build/data.json', import.meta.url))
const committedData = JSON.parse(readFileSync(committedDataPath, 'utf8')) as Record<string, unknown>

// The project's lib has no DOM, so TypeScript knows WebAssembly only as a namespace of types.
const webAssembly = Reflect.get(globalThis, 'WebAssembly') as {
  instantiate: (...args: unknown[]) => unknown
  compile: (...args: unknown[]) => unknown
}

// The same allowed input the Rego tests start from (policies/intentgate/fixtures_test.rego).
const allowedInput = JSON.parse(
  readFileSync(new URL('./testdata/allowedPolicyInput.json', import.meta.url), 'utf8'),
) as { intent: Record<string, unknown> } & PolicyInput

describe('loadWasmPolicy with the committed policy', () => {
  let policy: WasmPolicy

  beforeAll(async () => {
    policy = await loadWasmPolicy({
      wasm: committedWasm,
      data: committedData,
      revision: 'test',
      digest: wasmDigest(committedWasm),
    })
  })

  afterEach(() => {
    vi.restoreAllMocks()
  })

  test('allows the allowed input, reserving one counter per template limit', () => {
    const decision = policy.evaluate(allowedInput)
    expect(decision.allow).toBe(true)
    expect(decision.reasons).toEqual([])
    expect(decision.limits.map((limit) => limit.id)).toEqual([
      'sender-count-1d',
      'instance-valueWei-1h',
      'template-gasWei-1d',
      'global-count-1h',
    ])
  })

  test('holds a request above the template approvals threshold, as a decision the gateway accepts', () => {
    const template = allowedInput.template as { intent: Record<string, unknown> }
    const decision = policy.evaluate({
      ...allowedInput,
      template: {
        ...template,
        intent: { ...template.intent, approvals: { required: 2, valueAboveWei: '1' } },
      },
    })
    expect(decision.allow).toBe(false)
    expect(decision.reasons.map((reason) => reason.code)).toEqual(['APPROVAL_REQUIRED'])
    expect(decision.approvals).toEqual({ required: 2, reason: decision.reasons[0]?.message })
    expect(decision.limits.map((limit) => limit.id)).toEqual([
      'sender-count-1d',
      'instance-valueWei-1h',
      'template-gasWei-1d',
      'global-count-1h',
    ])
  })

  test('denies an intent on another chain with the policy reason', () => {
    expect(policy.evaluate({ ...allowedInput, intent: { ...allowedInput.intent, chainId: 10 } })).toEqual({
      allow: false,
      reasons: [
        { code: 'CHAIN_NOT_ALLOWED', message: 'chain 10 is not one of the chains the template declares' },
      ],
      limits: [],
    })
  })

  test('denies an empty input as INPUT_INVALID, one reason per missing part, sorted', () => {
    expect(policy.evaluate({ now: 0 })).toEqual({
      allow: false,
      reasons: [
        { code: 'INPUT_INVALID', message: 'input.instance.id must be a non-empty string' },
        { code: 'INPUT_INVALID', message: 'input.intent must be an object' },
        { code: 'INPUT_INVALID', message: 'input.template must be an object' },
      ],
      limits: [],
    })
  })

  test('fails closed with POLICY_ERROR on input that is not JSON, and keeps working after', () => {
    const withBigint: PolicyInput = { ...allowedInput, now: 1_767_225_600n }
    expect(policy.evaluate(withBigint)).toEqual({
      allow: false,
      reasons: [
        {
          code: 'POLICY_ERROR',
          message: 'policy evaluation failed: TypeError: Do not know how to serialize a BigInt',
        },
      ],
      limits: [],
    })
    expect(policy.evaluate(allowedInput).allow).toBe(true)
  })

  test('never compiles or instantiates Wasm while evaluating', async () => {
    const instantiate = vi.spyOn(webAssembly, 'instantiate')
    const compile = vi.spyOn(webAssembly, 'compile')
    for (let chainId = 1; chainId <= 200; chainId++) {
      policy.evaluate({ ...allowedInput, intent: { ...allowedInput.intent, chainId } })
    }
    expect(instantiate).not.toHaveBeenCalled()
    expect(compile).not.toHaveBeenCalled()
    // The spies do see a load, so their silence above means something.
    await loadWasmPolicy({ wasm: committedWasm, revision: 'again', digest: wasmDigest(committedWasm) })
    expect(instantiate).toHaveBeenCalledTimes(1)
  })

  test('carries revision, digest and entrypoint for attestations', () => {
    expect(policy.revision).toBe('test')
    expect(policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(policy.entrypoint).toBe('intentgate/decision')
  })
})

describe('loadWasmPolicy refuses a policy that could never decide', () => {
  test('when the entrypoint is missing', async () => {
    const loading = loadWasmPolicy({
      wasm: committedWasm,
      revision: 'test',
      digest: wasmDigest(committedWasm),
      entrypoint: 'intentgate/allow',
    })
    await expect(loading).rejects.toThrow(PolicyLoadError)
    await expect(loading).rejects.toThrow(
      'policy test: no entrypoint intentgate/allow (has: intentgate/decision)',
    )
  })

  test('when the bytes do not match the declared digest', async () => {
    const loading = loadWasmPolicy({
      wasm: committedWasm,
      revision: 'test',
      digest: `sha256:${'0'.repeat(64)}`,
    })
    await expect(loading).rejects.toThrow(
      /^policy test: wasm digest is sha256:[0-9a-f]{64}, expected sha256:0{64}$/,
    )
  })

  test('when the bytes are not Wasm', async () => {
    const wasm = new TextEncoder().encode('package intentgate')
    const loading = loadWasmPolicy({ wasm, revision: 'test', digest: wasmDigest(wasm) })
    await expect(loading).rejects.toThrow(PolicyLoadError)
    await expect(loading).rejects.toThrow(/^policy test: not a loadable OPA Wasm module: CompileError/)
  })
})

describe('loadWasmPolicyFromFile', () => {
  let dataDir: string

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'intentgate-policy-data-'))
    return () => rmSync(dataDir, { recursive: true, force: true })
  })

  test('computes the digest from the file', async () => {
    const policy = await loadWasmPolicyFromFile(committedWasmPath, {
      revision: 'committed',
      dataPath: committedDataPath,
    })
    expect(policy.digest).toBe(wasmDigest(committedWasm))
    expect(policy.evaluate(allowedInput).allow).toBe(true)
  })

  test('without its data document the policy denies everything as CONFIG_INVALID', async () => {
    const policy = await loadWasmPolicyFromFile(committedWasmPath, { revision: 'no-data' })
    const codes = new Set(policy.evaluate(allowedInput).reasons.map((reason) => reason.code))
    expect([...codes]).toEqual(['CONFIG_INVALID'])
  })

  test('gives the policy the data document at dataPath', async () => {
    const dataPath = join(dataDir, 'data.json')
    const sender = String(allowedInput.intent.sender)
    const config = (committedData.intentgate as { config: Record<string, unknown> }).config
    const data = { intentgate: { config: { ...config, denylist: { addresses: [sender] } } } }
    writeFileSync(dataPath, JSON.stringify(data))
    const policy = await loadWasmPolicyFromFile(committedWasmPath, { revision: 'with-data', dataPath })
    expect(policy.evaluate(allowedInput).reasons).toEqual([
      { code: 'ADDRESS_DENIED', message: `the sender ${sender} is on the deny-list` },
    ])
  })

  test('refuses a data document that is not an object', async () => {
    const dataPath = join(dataDir, 'array.json')
    writeFileSync(dataPath, '[1, 2]')
    await expect(
      loadWasmPolicyFromFile(committedWasmPath, { revision: 'bad-data', dataPath }),
    ).rejects.toThrow(`policy data ${dataPath} must hold a JSON object`)
  })
})

describe('decisionFromResultSet', () => {
  test('reads the single result', () => {
    expect(decisionFromResultSet([{ result: { allow: true, reasons: [], limits: [] } }], 'p/d')).toEqual({
      allow: true,
      reasons: [],
      limits: [],
    })
  })

  test('denies an undefined result as POLICY_UNDEFINED', () => {
    expect(decisionFromResultSet([], 'p/d').reasons).toEqual([
      { code: 'POLICY_UNDEFINED', message: 'policy p/d is undefined for this input' },
    ])
  })

  test('denies a missing result set as POLICY_ERROR', () => {
    expect(decisionFromResultSet(null, 'p/d').reasons).toEqual([
      { code: 'POLICY_ERROR', message: 'policy p/d returned no result set' },
    ])
  })

  test.each([
    ['two results', [{ result: {} }, { result: {} }]],
    ['an entry without result', [{ value: {} }]],
    ['a bare value', [true]],
  ])('denies %s as POLICY_RESULT_INVALID', (_, resultSet) => {
    expect(decisionFromResultSet(resultSet, 'p/d').reasons[0]?.code).toBe('POLICY_RESULT_INVALID')
  })

  test('denies a result that is not a decision as POLICY_RESULT_INVALID', () => {
    expect(decisionFromResultSet([{ result: true }], 'p/d').reasons[0]?.code).toBe('POLICY_RESULT_INVALID')
  })
})

describe('decisionFromThrown', () => {
  // The shapes opa-wasm throws; test/integration/policy provokes each from real Rego.
  test('names a missing builtin', () => {
    expect(decisionFromThrown({ message: 'not implemented: built-in function 0: time.now_ns' })).toEqual({
      allow: false,
      reasons: [
        {
          code: 'POLICY_BUILTIN_MISSING',
          message:
            'policy needs a builtin this gateway lacks: not implemented: built-in function 0: time.now_ns',
        },
      ],
      limits: [],
    })
  })

  test('records an abort from inside the Wasm', () => {
    expect(decisionFromThrown('decision.rego:9:1: var assignment conflict').reasons).toEqual([
      {
        code: 'POLICY_ERROR',
        message: 'policy evaluation failed: decision.rego:9:1: var assignment conflict',
      },
    ])
  })

  test('bounds the recorded message', () => {
    const [reason] = decisionFromThrown('x'.repeat(10_000)).reasons
    expect(reason?.message.length).toBeLessThan(400)
  })

  test('records something for a value that is not an error', () => {
    expect(decisionFromThrown(42).reasons[0]?.message).toBe('policy evaluation failed: 42')
  })
})
