import type { Hex } from 'viem'
import { z } from 'zod'
import { type AdminKeyEntry, parseAdminKeysConfig } from '../auth/adminKeys.js'
import { type PublicKeyInfo, parsePublicKey, parseSigningKey, type SigningKey } from '../crypto/ed25519.js'
import { type FailpointName, parseFailpoints } from '../failpoints.js'
import { parseRequiredSignatures } from '../templates/verifyTemplate.js'
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
 * `RELAYER_KEYS` is a comma-separated list of `chainId=0xprivatekey`. A chain may appear several
 * times: its keys form that chain's pool. Keys are secrets and never printed.
 */
const relayerKeys = z
  .string()
  .trim()
  .transform((raw, context) => {
    const keys: { chainId: number; privateKey: Secret<Hex> }[] = []
    for (const [index, entry] of raw.split(',').entries()) {
      if (!entry.trim()) continue
      const match = /^\s*(\d+)\s*=\s*(0x[0-9a-fA-F]{64})\s*$/.exec(entry)
      const chainId = Number(match?.[1])
      if (!match?.[2] || !Number.isSafeInteger(chainId) || chainId <= 0) {
        // The entry is never echoed: it may be a key with a typo.
        context.addIssue({
          code: 'custom',
          message: `entry ${index + 1}: expected chainId=0x and 64 hex digits`,
        })
        return z.NEVER
      }
      const privateKey = match[2].toLowerCase() as Hex
      if (keys.some((key) => key.privateKey.reveal() === privateKey)) {
        context.addIssue({ code: 'custom', message: `entry ${index + 1}: the same key is listed twice` })
        return z.NEVER
      }
      keys.push({ chainId, privateKey: new Secret(privateKey) })
    }
    return keys
  })

/** A comma-separated list of Ed25519 public keys (`ed25519:<base64>`), possibly empty. */
const publicKeyList = z
  .string()
  .trim()
  .transform((raw, context) => {
    const keys: PublicKeyInfo[] = []
    for (const [index, text] of raw.split(',').entries()) {
      if (!text.trim()) continue
      try {
        keys.push(parsePublicKey(text))
      } catch (error) {
        context.addIssue({ code: 'custom', message: `key ${index + 1}: ${(error as Error).message}` })
        return z.NEVER
      }
    }
    return keys
  })

const signingKey = z.string().transform((raw, context) => {
  try {
    return new Secret<SigningKey>(parseSigningKey(raw))
  } catch {
    context.addIssue({ code: 'custom', message: 'expected an Ed25519 PKCS#8 private key, base64 DER or PEM' })
    return z.NEVER
  }
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
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt
    .min(1_000)
    .max(600_000)
    .default(65_000)
    .describe(
      'How long an idle keep-alive connection is kept open. Keep it above the idle timeout of any load balancer or client pool in front (60 s on most): a server that closes first races the next request on that connection, which the client sees as a reset.',
    ),
  DEPENDENCY_TIMEOUT_MS: positiveInt
    .default(2_000)
    .describe('Timeout of each readiness probe of Redis and the chains, and of each chain RPC attempt.'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt
    .default(5_000)
    .describe(
      'Longest a Redis command may wait for its answer (a paused or stuck Redis): the request then fails closed with 503.',
    ),
  CHAIN_RPC_ATTEMPTS: positiveInt
    .max(10)
    .default(3)
    .describe(
      'Attempts of a chain RPC read, the first included: a timeout (DEPENDENCY_TIMEOUT_MS each), a 429/5xx or a lost connection is retried. Transactions are sent once.',
    ),
  CHAIN_RPC_RETRY_BASE_MS: positiveInt
    .default(100)
    .describe('Delay before the first retry of a chain RPC read; it doubles each time, half of it random.'),
  CHAIN_RPC_RETRY_MAX_MS: positiveInt
    .default(1_000)
    .describe('Cap on the delay between retries of a chain RPC read.'),
  CHAIN_RPC_BATCH_MAX: positiveInt
    .max(1_000)
    .default(100)
    .describe(
      'Most chain RPC reads sent together in one JSON-RPC batch: reads issued in the same turn of the event loop (under load, those of many requests) share one POST; 1 sends each alone. A node that refuses batches gets each read alone.',
    ),
  CHAIN_IDENTITY_CHECK_MS: positiveInt
    .min(100)
    .default(5_000)
    .describe(
      "How often each chain's genesis block is compared with the one first seen (kept in Redis); a chain replaced under the same RPC URL halts sponsorship and relay.",
    ),
  OUTBOUND_PRIVATE_NETWORKS: z
    .enum(['allow', 'deny'])
    .default('allow')
    .describe(
      'Whether chain RPC URLs may reach loopback and private addresses (checked at connect time); deny where every RPC is public. Link-local and cloud metadata addresses are always refused.',
    ),
  TEMPLATE_AUTHORITY_KEYS: publicKeyList
    .default([])
    .describe(
      'Verification authorities whose signatures make a template publishable: ed25519:<base64>, comma-separated.',
    ),
  TEMPLATE_SIGNATURE_THRESHOLDS: z
    .string()
    .default('1,1,2,2')
    .transform((raw, context) => {
      const parsed = parseRequiredSignatures(raw)
      if (parsed.ok) return parsed.counts
      context.addIssue({ code: 'custom', message: parsed.message })
      return z.NEVER
    })
    .describe('Distinct authority signatures a template needs at verification levels 0,1,2,3.'),
  TOKEN_SIGNING_KEY: signingKey
    .optional()
    .describe(
      'Ed25519 PKCS#8 key (base64 DER or PEM) that signs capability tokens. Required by serve; dev makes one.',
    ),
  TOKEN_VERIFICATION_KEYS: publicKeyList
    .default([])
    .describe(
      'Extra public keys still accepted for tokens, for rotating TOKEN_SIGNING_KEY without cutting apps off.',
    ),
  TOKEN_ISSUER: z.string().min(1).max(200).default('intentgate').describe('iss of capability tokens.'),
  TOKEN_AUDIENCE: z
    .string()
    .min(1)
    .max(200)
    .default('intentgate')
    .describe('aud of capability tokens; others are refused.'),
  TOKEN_TTL_SECONDS: positiveInt.default(7 * 24 * 3600).describe('Default lifetime of a capability token.'),
  TOKEN_MAX_TTL_SECONDS: positiveInt
    .default(30 * 24 * 3600)
    .describe('Longest lifetime a token may be issued with or accepted with.'),
  ADMIN_KEYS: z
    .string()
    .default('')
    .transform((raw, context): AdminKeyEntry[] => {
      if (!raw.trim()) return []
      const parsed = parseAdminKeysConfig(raw)
      if (parsed.ok) return parsed.entries
      context.addIssue({ code: 'custom', message: parsed.message })
      return z.NEVER
    })
    .describe(
      'Admin API keys as name:role:sha256hex, comma-separated; role is operator or auditor. Only hashes are stored.',
    ),
  CONSOLE_SESSION_TTL_SECONDS: positiveInt
    .min(300)
    .max(7 * 24 * 3600)
    .default(8 * 3600)
    .describe('How long a console login lasts. Sessions live in Redis and end sooner at logout.'),
  CONSOLE_COOKIE_SECURE: z
    .enum(['auto', 'always'])
    .default('auto')
    .describe(
      'Secure flag of the console cookie: auto sets it when the request arrived over TLS (https, or X-Forwarded-Proto: https from a TLS proxy); always sets it on every login. Use always behind TLS.',
    ),
  CONSOLE_LOGIN_ATTEMPTS: positiveInt
    .max(1_000)
    .default(10)
    .describe(
      'Console logins one client address may try per 15 minutes; more get 429 until the window ends.',
    ),
  GATEWAY_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, 'expected a lowercase name like gw-1')
    .default('gw-1')
    .describe('Name of this gateway process in attestations and its log origin; give each process its own.'),
  DATA_DIR: z
    .string()
    .min(1)
    .default('.data')
    .describe("Directory of this process's transparency log (segments and checkpoints)."),
  LOG_ORIGIN: z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'expected printable ASCII without spaces')
    .optional()
    .describe('Origin line of the log checkpoints; defaults to intentgate/<GATEWAY_ID>.'),
  ATTESTATION_SIGNING_KEY: signingKey
    .optional()
    .describe('Ed25519 PKCS#8 key that signs attestations (DSSE). Required by serve; dev makes one.'),
  LOG_SIGNING_KEY: signingKey
    .optional()
    .describe(
      'Ed25519 PKCS#8 key that signs log checkpoints (C2SP signed notes). Required by serve; dev makes one.',
    ),
  POLICY_WASM_FILE: z
    .string()
    .min(1)
    .default('policies/build/policy.wasm')
    .describe('The built-in policy shipped with the code, active until a signed bundle is uploaded.'),
  POLICY_DATA_FILE: z
    .string()
    .min(1)
    .default('policies/build/data.json')
    .describe('The data document of the built-in policy.'),
  POLICY_BUNDLE_KEYS: z
    .string()
    .default('')
    .transform((raw, context) => {
      const keys: { keyId: string; file: string }[] = []
      for (const entry of raw.split(',')) {
        if (!entry.trim()) continue
        const match = /^\s*([A-Za-z0-9._-]{1,64})=(\S+)\s*$/.exec(entry)
        if (!match?.[1] || !match[2]) {
          context.addIssue({
            code: 'custom',
            message: `expected keyId=/path/to/public.pem, got "${entry.trim().slice(0, 40)}"`,
          })
          return z.NEVER
        }
        keys.push({ keyId: match[1], file: match[2] })
      }
      return keys
    })
    .describe('Keys trusted to sign uploaded policy bundles, as keyId=/path/to/public.pem, comma-separated.'),
  POLICY_BUNDLE_MAX_BYTES: positiveInt
    .max(64 * 1024 * 1024)
    .default(8 * 1024 * 1024)
    .describe('Largest policy bundle an operator may upload.'),
  POLICY_SHADOW_BUNDLE_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'A signed candidate bundle (tar.gz) evaluated beside the active policy on live traffic; disagreements are counted and logged, never enforced.',
    ),
  REQUEST_RETENTION_SECONDS: positiveInt
    .default(7 * 24 * 3600)
    .describe(
      'How long decided requests are kept for status queries and same-answer replays; at least APPROVAL_WINDOW_SECONDS plus an hour.',
    ),
  KILL_SWITCH_MAX_STALENESS_MS: positiveInt
    .max(1_000)
    .default(500)
    .describe(
      'Oldest cached kill switch state a request may trust; bounds propagation even if a pub/sub notice is lost.',
    ),
  RELAYER_KEYS: relayerKeys
    .default([])
    .describe(
      'Relayer keys that pay for meta-transactions, as comma-separated chainId=0xprivatekey; several per chain form a pool. Secrets.',
    ),
  RELAY_CONCURRENCY: positiveInt.max(256).default(16).describe('Relay jobs one worker process runs at once.'),
  RELAY_MAX_IN_FLIGHT_PER_KEY: positiveInt
    .max(1_024)
    .default(32)
    .describe(
      'Transactions each relayer key may have broadcast and not yet seen mined; a job waits for a place before it sends a new one, and checks the deadline, kill switches and revocations again after the wait. The chain-wide cap is this times the keys.',
    ),
  RELAY_CONFIRMATIONS: positiveInt
    .max(256)
    .default(1)
    .describe('Blocks a relayed transaction must be under (its own included) before it counts as final.'),
  RELAY_REPLACE_AFTER_MS: positiveInt
    .default(30_000)
    .describe('How long a broadcast transaction may stay unmined before it is replaced with higher fees.'),
  RELAY_MAX_REPLACEMENTS: z.coerce
    .number()
    .int()
    .min(0)
    .max(20)
    .default(5)
    .describe(
      'Fee bumps (at least 12.5% each) before a stuck transaction is cancelled with a 0-value self-transfer.',
    ),
  RELAY_POLL_INTERVAL_MS: positiveInt
    .min(50)
    .default(1_000)
    .describe('How often the receipt monitor reads new blocks and acts on due transactions.'),
  RELAY_FEE_HEADROOM: positiveInt
    .max(100)
    .default(4)
    .describe(
      "Admission fee cap as a multiple of the base fee (plus the tip): the room a request's relay has for replacements.",
    ),
  RELAY_MIN_BALANCE_WEI: z
    .string()
    .regex(/^(0|[1-9]\d{0,77})$/, 'expected a decimal amount of wei')
    .default('10000000000000000')
    .describe(
      'A relayer key below this balance makes /readyz warn; an empty key leaves the pool until refunded.',
    ),
  RELAY_JOB_LOCK_MS: positiveInt
    .min(1_000)
    .default(30_000)
    .describe(
      "How long a relay job is locked to its worker; a crashed worker's jobs are taken over after it.",
    ),
  PAYMASTER_SIGNER_KEY: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a secp256k1 private key: 0x and 64 hex digits')
    .transform((key) => new Secret(key as `0x${string}`))
    .optional()
    .describe(
      "secp256k1 key the IntentPaymaster trusts as its signer; without it the pm_ methods of /rpc are off. dev uses the fixture's.",
    ),
  SPONSORSHIP_WINDOW_SECONDS: positiveInt
    .max(3_600)
    .default(120)
    .describe('How long a paymaster signature stays valid: validUntil is now plus this.'),
  BUNDLER_URL: z
    .string()
    .url()
    .transform((url) => new Secret(url))
    .optional()
    .describe(
      'Upstream ERC-4337 bundler (such as Alto) for the chain of CHAIN_ADDRESSES_FILE. Without it the gateway bundles user operations itself (handleOps through the relay queue and the RELAYER_KEYS of that chain); with neither, the bundler methods of /rpc are off. A secret.',
    ),
  USER_OP_SWEEP_INTERVAL_MS: positiveInt
    .min(50)
    .default(2_000)
    .describe(
      'How often sponsored user operations are checked for their UserOperationEvent, and expired ones released.',
    ),
  APPROVAL_WINDOW_SECONDS: positiveInt
    .max(7 * 24 * 3600)
    .default(3_600)
    .describe(
      "How long a request held for operator approval waits for its k approvals (never past the request's own deadline); then it expires and its reservation is released.",
    ),
  APPROVAL_SWEEP_INTERVAL_MS: positiveInt
    .min(50)
    .default(2_000)
    .describe(
      'How often held requests past their approval window are expired, those of a revoked instance or template or an expired template cancelled, and decided ones whose follow-up was interrupted finished.',
    ),
  ATTESTED_REFUSALS_PER_MINUTE: positiveInt
    .default(600)
    .describe(
      "Refusals of one app instance signed and logged per minute; past it (a revoked or killed instance's token hammering the gateway) refusals are still answered with their code, unattested, with the reason REFUSAL_NOT_ATTESTED. Approvals are never limited by it.",
    ),
  FAILPOINTS: z
    .string()
    .default('')
    .transform((raw, context) => {
      try {
        return parseFailpoints(raw)
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
    })
    .describe(
      'Test only, never set in production: name:n,… makes the process SIGKILL itself the n-th time it reaches a named point of the approval path (after-reserve, after-attest, after-record, after-enqueue). Empty: inert.',
    ),
  SHUTDOWN_TIMEOUT_MS: positiveInt
    .default(10_000)
    .describe('How long SIGTERM waits for in-flight requests before closing connections.'),
})

export type Settings = z.output<typeof settingsSchema>

/** The gateway's configuration, parsed once at boot and passed down. */
export type Config = {
  http: { host: string; port: number; bodyLimitBytes: number; keepAliveTimeoutMs: number }
  logging: { level: Settings['LOG_LEVEL'] }
  redis: { url: Secret; keyPrefix: string; commandTimeoutMs: number }
  chains: Settings['CHAIN_RPC_URLS']
  chainAddressesFile: string
  templates: { authorities: PublicKeyInfo[]; signatureThresholds: readonly [number, number, number, number] }
  tokens: {
    signingKey: Secret<SigningKey> | undefined
    verificationKeys: PublicKeyInfo[]
    issuer: string
    audience: string
    ttlSeconds: number
    maxTtlSeconds: number
  }
  adminKeys: AdminKeyEntry[]
  console: { sessionTtlSeconds: number; cookieSecure: 'auto' | 'always'; loginAttempts: number }
  killSwitch: { maxStalenessMs: number }
  gatewayId: string
  log: { dir: string; origin: string; signingKey: Secret<SigningKey> | undefined }
  attestationKey: Secret<SigningKey> | undefined
  policy: {
    wasmFile: string
    dataFile: string
    bundleKeys: { keyId: string; file: string }[]
    bundleMaxBytes: number
    shadowBundleFile: string | undefined
  }
  requestRetentionSeconds: number
  relay: {
    keys: Settings['RELAYER_KEYS']
    concurrency: number
    maxInFlightPerKey: number
    confirmations: number
    replaceAfterMs: number
    maxReplacements: number
    pollIntervalMs: number
    feeHeadroom: number
    /** Decimal wei; kept as text so the config stays plain JSON. */
    minBalanceWei: string
    jobLockMs: number
  }
  sponsorship: {
    signerKey: Secret<`0x${string}`> | undefined
    windowSeconds: number
    bundlerUrl: Secret | undefined
    sweepIntervalMs: number
  }
  approvals: { windowSeconds: number; sweepIntervalMs: number }
  dependencyTimeoutMs: number
  chainRpc: {
    /** Retries of reads; each attempt is bounded by dependencyTimeoutMs. */
    retry: { attempts: number; baseDelayMs: number; maxDelayMs: number }
    /** Most reads in one JSON-RPC batch (1: none). */
    batchMax: number
    identityCheckMs: number
  }
  /** What operator-set URLs the gateway fetches may connect to. */
  outbound: { private: 'allow' | 'deny' }
  shutdownTimeoutMs: number
  /** Attested refusals per instance and minute (see src/limits/refusalBudget.ts). */
  attestedRefusalsPerMinute: number
  /** Test-only crash points; empty in production (see src/failpoints.ts). */
  failpoints: ReadonlyMap<FailpointName, number>
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
  if (Array.isArray(value) && value.length === 0) return ''
  if (value instanceof Map) return [...value].map(([name, count]) => `${name}:${count}`).join(',')
  if (Array.isArray(value) && typeof value[0] === 'number') return value.join(',')
  if (Array.isArray(value)) {
    return value
      .map((chain: { chainId: number; rpcUrl: Secret }) => `${chain.chainId}=${chain.rpcUrl.reveal()}`)
      .join(',')
  }
  return String(value)
}
