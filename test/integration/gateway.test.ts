import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, inject, test } from 'vitest'
import { loadConfig } from '../../src/config/loadConfig.js'
import { exportSigningKey, generateSigningKey } from '../../src/crypto/ed25519.js'
import { freePort } from '../../src/devtools/redisServer.js'
import type { ReadinessReport } from '../../src/health/readiness.js'
import { type RunningGateway, startGateway } from '../../src/main.js'
import { repoRoot } from '../support/paths.js'

const anvilUrl = inject('anvilUrl')
const redisUrl = inject('redisUrl')
const redisKeyPrefix = inject('redisKeyPrefix')
const tokenSigningKey = exportSigningKey(generateSigningKey())
const attestationKey = exportSigningKey(generateSigningKey())
const logKey = exportSigningKey(generateSigningKey())

function gatewayEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    CHAIN_RPC_URLS: `31337=${anvilUrl}`,
    DEPENDENCY_TIMEOUT_MS: '1500',
    TOKEN_SIGNING_KEY: tokenSigningKey,
    ATTESTATION_SIGNING_KEY: attestationKey,
    LOG_SIGNING_KEY: logKey,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-gw-')),
    ...overrides,
  }
}

describe('gateway against real Redis and Anvil', () => {
  let gateway: RunningGateway | undefined
  afterEach(async () => {
    await gateway?.stop()
    gateway = undefined
  })

  async function readyz(env: Record<string, string>): Promise<{ status: number; body: ReadinessReport }> {
    gateway = await startGateway(loadConfig(gatewayEnv(env)))
    const response = await fetch(`${gateway.url}/readyz`)
    return { status: response.status, body: (await response.json()) as ReadinessReport }
  }

  test('idle connections are kept for HTTP_KEEP_ALIVE_TIMEOUT_MS, and the server says so', async () => {
    gateway = await startGateway(loadConfig(gatewayEnv({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '70000' })))
    const keepAlive = await new Promise<string>((resolve, reject) => {
      const request = get(
        `${gateway?.url}/healthz`,
        { agent: new Agent({ keepAlive: true }) },
        (response) => {
          response.resume()
          resolve(String(response.headers['keep-alive']))
          response.socket.destroy()
        },
      )
      request.on('error', reject)
    })
    expect(keepAlive).toBe('timeout=70')
  })

  test('/readyz is 200 and reports the chain and the fixture it runs against', async () => {
    const { status, body } = await readyz({})
    expect(status).toBe(200)
    expect(body.status).toBe('ready')
    expect(body.checks.map((check) => [check.name, check.ok])).toStrictEqual([
      ['redis', true],
      ['chain:31337', true],
      ['chain:31337:genesis', true],
    ])
    expect(body.checks[1]?.chainId).toBe(31337)
    expect(BigInt(body.checks[1]?.blockNumber ?? '0')).toBeGreaterThan(0n)
    expect(body.addresses).toStrictEqual({
      source: expect.stringContaining('anvil-fixtures/addresses.json'),
      chainId: 31337,
    })
  })

  test('/readyz is 503 when Redis is unreachable, naming Redis', async () => {
    const { status, body } = await readyz({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    expect(status).toBe(503)
    expect(body.status).toBe('not_ready')
    expect(body.checks.find((check) => check.name === 'redis')?.ok).toBe(false)
    expect(body.checks.find((check) => check.name === 'chain:31337')?.ok).toBe(true)
  })

  test('/readyz is 503 when the RPC serves another chain than configured', async () => {
    const { status, body } = await readyz({ CHAIN_RPC_URLS: `1=${anvilUrl}` })
    expect(status).toBe(503)
    expect(body.checks.find((check) => check.name === 'chain:1')).toMatchObject({
      ok: false,
      error: 'RPC reports chain 31337, expected 1',
    })
  })

  test('/readyz is 503 when the RPC does not answer, without leaking its URL', async () => {
    const deadRpc = `http://user:key-123@127.0.0.1:${await freePort()}/v2/secret`
    const { status, body } = await readyz({ CHAIN_RPC_URLS: `31337=${deadRpc}` })
    expect(status).toBe(503)
    expect(JSON.stringify(body)).not.toContain('key-123')
    expect(JSON.stringify(body)).not.toContain('/v2/secret')
  })
})

describe('intentgate serve', () => {
  test('refuses to start without its signing keys, naming every missing setting', async () => {
    const env: Record<string, string> = gatewayEnv()
    delete env.TOKEN_SIGNING_KEY
    delete env.LOG_SIGNING_KEY
    const refused = startGateway(loadConfig(env))
    await expect(refused).rejects.toThrow('TOKEN_SIGNING_KEY: required')
    await expect(refused).rejects.toThrow('LOG_SIGNING_KEY: required')
  })

  test('stops gracefully on SIGTERM and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: repoRoot,
      env: { ...process.env, ...gatewayEnv({ LOG_LEVEL: 'info' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const listening = new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        const match = /"url":"(http:[^"]+)"/.exec(output)
        if (match?.[1]) resolve(match[1])
      })
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

    const url = await listening
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output).toContain('"msg":"stopped"')
  })
})
