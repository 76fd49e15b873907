import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type ManagedProcess, spawnUntilReady } from '../src/devtools/childProcess.js'
import { freePort } from '../src/devtools/redisServer.js'
import type { LoadResult } from './loadClient.js'
import { runLoad } from './measure.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * `opa run --server` on the same Rego and data the Wasm is built from (policies/, without the
 * build output and the tests, exactly as scripts/policies builds it), with the pinned OPA.
 */
export async function startOpaServer(): Promise<{ url: string; process: ManagedProcess }> {
  const opa = execFileSync('bash', [`${repoRoot}scripts/ensure-opa`], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()
  if (!opa) throw new Error('scripts/ensure-opa printed no path')
  const port = await freePort()
  const { process } = await spawnUntilReady({
    name: 'opa',
    command: opa,
    args: [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${port}`,
      '--log-level',
      'info',
      '--skip-version-check',
      '--bundle',
      '--ignore',
      'build',
      '--ignore',
      '*_test.rego',
      `${repoRoot}policies`,
    ],
    readyWhen: (line) => (/Initializing server/.test(line) ? 'ready' : undefined),
  })
  const url = `http://127.0.0.1:${port}`
  // OPA logs that it is initializing just before it listens: wait until it answers.
  for (let attempt = 0; attempt < 100; attempt++) {
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return { url, process }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await process.stop()
  throw new Error('opa did not answer /health')
}

/**
 * (b)'s baseline: the same Rego and input evaluated by `opa run --server` over HTTP at c=16, after
 * a warm-up, with the load client every HTTP figure uses. Every answer must be a 200.
 */
export async function measureOpaOverHttp(policyInputFile: string): Promise<LoadResult> {
  const opa = await startOpaServer()
  try {
    const body = JSON.stringify({ input: JSON.parse(readFileSync(policyInputFile, 'utf8')) })
    const job = (requests: number) =>
      runLoad({
        url: `${opa.url}/v1/data/intentgate/decision`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests,
        concurrency: 16,
        body,
      })
    await job(500)
    const result = await job(5_000)
    if (result.statuses['200'] !== result.requests)
      throw new Error(`opa answered ${JSON.stringify(result.statuses)}`)
    return result
  } finally {
    await opa.process.stop()
  }
}
