import { z } from 'zod'
import { Secret } from './secret.js'

const port = z.coerce.number().int().min(0).max(65_535)
const positiveInt = z.coerce.number().int().positive()

/**
 * `CHAIN_RPC_URLS` is a comma-separated list of `chainId=url`. The URL is a secret because
 * provider URLs often carry an API key.
 */
const chainRpcUrls = z
  .string()
  .trim()
  .min(1)
  .transform((raw, context) => {
    const chains: { chainId: number; rpcUrl: Secret }[] = []
    for (const entry of raw.split(',')) {
      const match = /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(entry)
      const chainId = Number(match?.[1])
      const url = match?.[2]
      if (!match || !url || !Number.isSafeInteger(chainId) || chainId <= 0 || !URL.canParse(url)) {
        context.addIssue({
          code: 'custom',
          message: `expected chainId=url, got "${entry.trim().slice(0, 40)}"`,
        })
        return z.NEVER
      }
      if (chains.some((chain) => chain.chainId === chainId)) {
        context.addIssue({ code: 'custom', message: `chain ${chainId} is listed twice` })
        return z.NEVER
      }
      chains.push({ chainId, rpcUrl: new Secret(url) })
    }
    return chains
  })

/**
 * Every setting the gateway reads, keyed by its environment variable. Each setting is declared
 * here once; `describeSettings` feeds the README table from the same descriptions.
 */
export const settingsSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface the HTTP server binds to.'),
  PORT: port.default(8080).describe('HTTP port; 0 picks a free one.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  REDIS_URL: z
    .string()
    .url()
    .default('redis://127.0.0.1:6379')
    .transform((url) => new Secret(url))
    .describe('Redis for counters, idempotency, revocations, kill switch and queues. Treated as a secret.'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('ig:')
    .describe('Prefix of every Redis key the gateway writes, so several deployments can share one Redis.'),
  CHAIN_RPC_URLS: chainRpcUrls
    .prefault('31337=http://127.0.0.1:8545')
    .describe('Chains served, as comma-separated chainId=url. URLs are secrets and never logged.'),
  CHAIN_ADDRESSES_FILE: z
    .string()
    .min(1)
    .default('anvil-fixtures/addresses.json')
    .describe(
      'JSON file with the EntryPoint, forwarder, paymaster and target addresses (see anvil-fixtures/).',
    ),
  BODY_LIMIT_BYTES: positiveInt
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest request body accepted, chunked or not; larger bodies get 413.'),
  DEPENDENCY_TIMEOUT_MS: positiveInt
    .default(2_000)
    .describe('Timeout of each readiness probe of Redis and the chains.'),
  SHUTDOWN_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe('How long SIGTERM waits for in-flight requests before closing connections.'),
})

export type Settings = z.output<typeof settingsSchema>

/** The gateway's configuration, parsed once at boot and passed down. */
export type Config = {
  http: { host: string; port: number; bodyLimitBytes: number }
  log: { level: Settings['LOG_LEVEL'] }
  redis: { url: Secret; keyPrefix: string }
  chains: Settings['CHAIN_RPC_URLS']
  chainAddressesFile: string
  dependencyTimeoutMs: number
  shutdownTimeoutMs: number
}

/** Names, defaults and descriptions of every setting, in declaration order, for documentation. */
export function describeSettings(): { name: string; defaultValue: string; description: string }[] {
  return Object.entries(settingsSchema.shape).map(([name, schema]) => {
    const parsed = schema.safeParse(undefined)
    const rawDefault = parsed.success ? parsed.data : undefined
    return {
      name,
      defaultValue: defaultAsText(rawDefault),
      description: schema.description ?? '',
    }
  })
}

function defaultAsText(value: unknown): string {
  if (value === undefined) return ''
  if (value instanceof Secret) return String(value.reveal())
  if (Array.isArray(value)) {
    return value
      .map((chain: { chainId: number; rpcUrl: Secret }) => `${chain.chainId}=${chain.rpcUrl.reveal()}`)
      .join(',')
  }
  return String(value)
}
