import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type ManagedProcess, spawnUntilReady } from '../src/devtools/childProcess.js'
import { freePort } from '../src/devtools/redisServer.js'

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
