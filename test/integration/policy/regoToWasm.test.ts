import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadWasmPolicy, type WasmPolicy, wasmDigest } from '../../../src/policy/wasmPolicy.js'
import { repoRoot } from '../../support/paths.js'

// On a fresh machine ensure-opa compiles OPA with `go install`, which takes minutes.
const opaTimeoutMs = 20 * 60_000

// stderr is inherited so a slow first run shows go install's progress instead of hanging quietly.
function run(command: string, args: string[]): string {
  return execFileSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: opaTimeoutMs,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

const fixturesEntrypoints = [
  'failclosed/clock_decision',
  'failclosed/undefined_decision',
  'failclosed/not_a_decision',
  'failclosed/conflicting_decision',
]

let workDir: string
let builtWasm: Uint8Array
let builtData: Record<string, unknown>
let fixturesWasm: Uint8Array

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'intentgate-rego-'))
  run('bash', ['scripts/policies', 'build', join(workDir, 'policies')])
  builtWasm = new Uint8Array(readFileSync(join(workDir, 'policies', 'policy.wasm')))
  builtData = JSON.parse(readFileSync(join(workDir, 'policies', 'data.json'), 'utf8')) as Record<
    string,
    unknown
  >

  const opa = run('bash', ['scripts/ensure-opa']).trim().split('\n').at(-1) ?? 'opa'
  const bundle = join(workDir, 'fixtures.tar.gz')
  const entrypointArgs = fixturesEntrypoints.flatMap((entrypoint) => ['--entrypoint', entrypoint])
  run(opa, [
    'build',
    '--target',
    'wasm',
    ...entrypointArgs,
    '--output',
    bundle,
    'test/integration/policy/fixtures',
  ])
  fixturesWasm = new Uint8Array(execFileSync('tar', ['-xzOPf', bundle, '/policy.wasm']))
}, opaTimeoutMs)

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

const allowedInput = JSON.parse(
  readFileSync(join(repoRoot, 'src', 'policy', 'testdata', 'allowedPolicyInput.json'), 'utf8'),
) as { intent: Record<string, unknown> } & Record<string, unknown>

describe('policies/ compiled by opa and evaluated in Node', () => {
  let policy: WasmPolicy

  beforeAll(async () => {
    policy = await loadWasmPolicy({
      wasm: builtWasm,
      data: builtData,
      revision: 'fresh',
      digest: wasmDigest(builtWasm),
    })
  })

  test('allows an intent on a chain the template declares', () => {
    expect(policy.evaluate(allowedInput)).toMatchObject({ allow: true, reasons: [] })
  })

  test('denies an intent on another chain, and reports bad input beside it', () => {
    const input = { ...allowedInput, intent: { ...allowedInput.intent, chainId: 11_155_111 }, now: -1 }
    expect(policy.evaluate(input)).toEqual({
      allow: false,
      reasons: [
        {
          code: 'CHAIN_NOT_ALLOWED',
          message: 'chain 11155111 is not one of the chains the template declares',
        },
        { code: 'INPUT_INVALID', message: 'input.now must be a non-negative integer (unix seconds)' },
      ],
      limits: [],
    })
  })

  test('matches the committed policies/build/policy.wasm byte for byte', () => {
    const committed = new Uint8Array(readFileSync(join(repoRoot, 'policies', 'build', 'policy.wasm')))
    expect(
      wasmDigest(committed),
      'policies/build/policy.wasm is stale: run `npm run policies:build` and commit it',
    ).toBe(wasmDigest(builtWasm))
  })

  test('the TypeScript tests start from the same allowed input as the Rego tests', () => {
    const opa = run('bash', ['scripts/ensure-opa']).trim().split('\n').at(-1) ?? 'opa'
    const regoFixture = run(opa, [
      'eval',
      '--data',
      'policies',
      '--ignore',
      'build',
      '--format',
      'raw',
      'data.intentgate_test.allowed_input',
    ])
    expect(JSON.parse(regoFixture)).toEqual(allowedInput)
  })

  test('matches the committed policies/build/data.json', () => {
    const committed = JSON.parse(readFileSync(join(repoRoot, 'policies', 'build', 'data.json'), 'utf8'))
    expect(committed, 'policies/build/data.json is stale: run `npm run policies:build`').toEqual(builtData)
  })

  test('needs no builtin from the host, so no decision can fail for a missing one', async () => {
    expect(await hostBuiltins(builtWasm)).toEqual({})
    // The listing does see host builtins where there are some.
    expect(Object.keys(await hostBuiltins(fixturesWasm))).toContain('time.now_ns')
  })
})

/**
 * The builtins a compiled policy calls out to the host for (OPA's Wasm ABI: the `builtins`
 * export lists them by name). opa-wasm implements only a few; a policy that needs none runs
 * entirely inside the module.
 */
async function hostBuiltins(wasm: Uint8Array): Promise<Record<string, number>> {
  const webAssembly = Reflect.get(globalThis, 'WebAssembly') as {
    Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer }
    instantiate: (
      bytes: Uint8Array,
      imports: Record<string, Record<string, unknown>>,
    ) => Promise<{ instance: { exports: Record<string, (...args: number[]) => number> } }>
  }
  const memory = new webAssembly.Memory({ initial: 5 })
  const refuse = () => {
    throw new Error('the module called the host while listing its builtins')
  }
  const env = Object.fromEntries(
    ['opa_abort', 'opa_println', ...[0, 1, 2, 3, 4].map((arity) => `opa_builtin${arity}`)].map((name) => [
      name,
      refuse,
    ]),
  )
  const { instance } = await webAssembly.instantiate(wasm, { env: { memory, ...env } })
  const { builtins, opa_json_dump: dump } = instance.exports
  if (builtins === undefined || dump === undefined) throw new Error('not an OPA Wasm module')
  const address = dump(builtins())
  const bytes = new Uint8Array(memory.buffer, address)
  return JSON.parse(new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)))) as Record<string, number>
}

describe('a policy that cannot decide is a deny with its reason', () => {
  function loadFixture(entrypoint: string): Promise<WasmPolicy> {
    return loadWasmPolicy({
      wasm: fixturesWasm,
      revision: 'fixtures',
      digest: wasmDigest(fixturesWasm),
      entrypoint,
    })
  }

  test('a builtin opa-wasm does not implement', async () => {
    const policy = await loadFixture('failclosed/clock_decision')
    const decision = policy.evaluate({})
    expect(decision.allow).toBe(false)
    expect(decision.limits).toEqual([])
    // The number is the builtin's index in this module, which opa chooses.
    expect(decision.reasons).toEqual([
      {
        code: 'POLICY_BUILTIN_MISSING',
        message: expect.stringMatching(
          /^policy needs a builtin this gateway lacks: not implemented: built-in function \d+: time\.now_ns$/,
        ),
      },
    ])
  })

  test('an undefined result', async () => {
    const policy = await loadFixture('failclosed/undefined_decision')
    expect(policy.evaluate({ flag: false })).toEqual({
      allow: false,
      reasons: [
        {
          code: 'POLICY_UNDEFINED',
          message: 'policy failclosed/undefined_decision is undefined for this input',
        },
      ],
      limits: [],
    })
    expect(policy.evaluate({ flag: true })).toEqual({ allow: true, reasons: [], limits: [] })
  })

  test('a result that is not a decision', async () => {
    const policy = await loadFixture('failclosed/not_a_decision')
    expect(policy.evaluate({}).reasons).toEqual([
      {
        code: 'POLICY_RESULT_INVALID',
        message:
          'policy result is not a decision: allow: Invalid input: expected boolean, received string; reasons: Invalid input: expected array, received undefined; limits: Invalid input: expected array, received undefined',
      },
    ])
  })

  test('an abort inside the Wasm, after which the same instance still evaluates', async () => {
    const policy = await loadFixture('failclosed/conflicting_decision')
    const conflict = policy.evaluate({ values: [1, 2] })
    expect(conflict.allow).toBe(false)
    expect(conflict.reasons).toHaveLength(1)
    expect(conflict.reasons[0]?.code).toBe('POLICY_ERROR')
    expect(conflict.reasons[0]?.message).toMatch(/conflict/)
    expect(policy.evaluate({ values: [1] })).toEqual({ allow: true, reasons: [], limits: [] })
  })
})
