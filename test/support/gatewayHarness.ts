import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { generateAdminKey } from '../../src/auth/adminKeys.js'
import { loadConfig } from '../../src/config/loadConfig.js'
import {
  exportSigningKey,
  formatPublicKey,
  generateSigningKey,
  type SigningKey,
} from '../../src/crypto/ed25519.js'
import { type GatewayRole, type RunningGateway, startGateway } from '../../src/main.js'
import type { Logger } from '../../src/observability/logger.js'

/** Keys a test gateway trusts and uses, generated per harness: nothing here is a real secret. */
export type HarnessKeys = {
  authorities: SigningKey[]
  tokenKey: SigningKey
  attestationKey: SigningKey
  logKey: SigningKey
  admin: { operator: string; operator2: string; auditor: string }
}

export type GatewayHarness = {
  keys: HarnessKeys
  /** A Redis key prefix private to this harness, inside the run's prefix. */
  keyPrefix: string
  env: Record<string, string>
  start(
    overrides?: Record<string, string>,
    options?: { role?: GatewayRole; logger?: Logger },
  ): Promise<RunningGateway>
  stopAll(): Promise<void>
}

/**
 * Builds gateways against the run's real Redis and Anvil with freshly generated keys: three
 * template authorities, a token key, and admin keys for two operators and an auditor. Every
 * gateway started from one harness shares its Redis prefix, like processes behind a balancer.
 */
export function createGatewayHarness(): GatewayHarness {
  const authorities = [generateSigningKey(), generateSigningKey(), generateSigningKey()]
  const tokenKey = generateSigningKey()
  const attestationKey = generateSigningKey()
  const logKey = generateSigningKey()
  const operator = generateAdminKey()
  const operator2 = generateAdminKey()
  const auditor = generateAdminKey()
  const keyPrefix = `${inject('redisKeyPrefix')}${randomBytes(4).toString('hex')}:`
  const env: Record<string, string> = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: keyPrefix,
    CHAIN_RPC_URLS: `31337=${inject('anvilUrl')}`,
    TEMPLATE_AUTHORITY_KEYS: authorities.map(formatPublicKey).join(','),
    TOKEN_SIGNING_KEY: exportSigningKey(tokenKey),
    ATTESTATION_SIGNING_KEY: exportSigningKey(attestationKey),
    LOG_SIGNING_KEY: exportSigningKey(logKey),
    ADMIN_KEYS: `alice:operator:${operator.hash},bob:operator:${operator2.hash},carol:auditor:${auditor.hash}`,
    DEPENDENCY_TIMEOUT_MS: '1500',
  }
  const running: RunningGateway[] = []
  return {
    keys: {
      authorities,
      tokenKey,
      attestationKey,
      logKey,
      admin: { operator: operator.key, operator2: operator2.key, auditor: auditor.key },
    },
    keyPrefix,
    env,
    async start(overrides = {}, options = {}) {
      // Each gateway process keeps its own log, as in production.
      const perProcess = {
        GATEWAY_ID: `gw-${running.length + 1}`,
        DATA_DIR: mkdtempSync(join(tmpdir(), 'intentgate-log-')),
      }
      const gateway = await startGateway(loadConfig({ ...env, ...perProcess, ...overrides }), options)
      running.push(gateway)
      return gateway
    },
    async stopAll() {
      await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
    },
  }
}

export type JsonResponse = { status: number; body: Record<string, unknown> & { error?: ErrorShape } }
type ErrorShape = {
  code: string
  message: string
  reasons?: { code: string; message: string }[]
  requestId?: string
  attestation?: unknown
}

/** Calls the gateway with a bearer credential and a JSON body, and returns status and parsed JSON. */
export async function callJson(
  baseUrl: string,
  method: string,
  path: string,
  options: { bearer?: string; body?: unknown } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {}
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  return { status: response.status, body: (await response.json()) as JsonResponse['body'] }
}
