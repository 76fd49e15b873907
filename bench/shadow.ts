import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Counter, Registry } from 'prom-client'
import { createPolicyStore } from '../src/policy/policyStore.js'
import { createShadowedPolicyStore } from '../src/policy/shadowPolicy.js'
import type { WasmPolicy } from '../src/policy/wasmPolicy.js'
import { secondsPerOp } from './measure.js'

/**
 * CPU seconds per decision-stage evaluation without and with a shadow policy beside the active one,
 * observed as the gateway observes it (a counter per decision). The shadow is the built-in policy
 * loaded a second time: a candidate is a variant of it, of the same size.
 */
export async function measureShadowEvaluation(deps: {
  policy: WasmPolicy
  shadow: WasmPolicy
  policyInputFile: string
}): Promise<{ plain: number; shadowed: number }> {
  const input = JSON.parse(await readFile(deps.policyInputFile, 'utf8')) as Record<string, unknown>
  const counter = new Counter({
    name: 'bench_shadow_total',
    help: 'bench',
    labelNames: ['change'],
    registers: [new Registry()],
  })
  const store = createPolicyStore({ initial: deps.policy })
  const shadowed = createShadowedPolicyStore({
    store,
    shadow: { policy: deps.shadow, revision: 'shadow', digest: deps.shadow.digest },
    observe: (observation) => counter.inc({ change: observation.change }),
    // Run inline: the gateway defers it past the answer, but the CPU it takes is what is measured.
    schedule: (task) => task(),
  })
  return {
    plain: await secondsPerOp(() => store.current().policy.evaluate(input), { batch: 10 }),
    shadowed: await secondsPerOp(() => shadowed.current().policy.evaluate(input), { batch: 10 }),
  }
}

/**
 * A signed candidate bundle of the repository's own policies (built and signed by
 * `scripts/policies sign` with a key made for this run) and the settings that make a gateway
 * shadow it: what an operator trying a candidate of the same size would run.
 */
export function shadowSettings(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'intentgate-bench-shadow-'))
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privateKey = join(dir, 'bench.pem')
  const publicKey = join(dir, 'bench.public.pem')
  writeFileSync(privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  writeFileSync(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }))
  const bundle = join(dir, 'shadow.tar.gz')
  execFileSync(
    'bash',
    [
      fileURLToPath(new URL('../scripts/policies', import.meta.url)),
      'sign',
      '--signing-key',
      privateKey,
      '--key-id',
      'bench',
      '--revision',
      'bench-shadow',
      '--output',
      bundle,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  return { POLICY_BUNDLE_KEYS: `bench=${publicKey}`, POLICY_SHADOW_BUNDLE_FILE: bundle }
}
