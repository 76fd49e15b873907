import { type Config, settingsSchema } from './schema.js'

/** Thrown at boot when the environment does not describe a valid configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`)
  }
}

/** How long a held request is kept past its approval window: time for the sweep to expire it, over an outage. */
const approvalRetentionMarginSeconds = 3_600

/**
 * Parses the environment once. Unknown variables are ignored; every invalid one is reported
 * by name, all at once, so an operator fixes them in one go.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = settingsSchema.safeParse(withoutEmptyValues(env))
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  const settings = result.data
  const issues: string[] = []
  if (settings.TOKEN_TTL_SECONDS > settings.TOKEN_MAX_TTL_SECONDS) {
    issues.push('TOKEN_TTL_SECONDS: must not exceed TOKEN_MAX_TTL_SECONDS')
  }
  // A held request's approval and record are kept for REQUEST_RETENTION_SECONDS from the hold. Gone
  // before the sweep expires it, it would end with no expiry attested and its reservation kept.
  if (
    settings.REQUEST_RETENTION_SECONDS <
    settings.APPROVAL_WINDOW_SECONDS + approvalRetentionMarginSeconds
  ) {
    issues.push(
      `REQUEST_RETENTION_SECONDS: must be at least APPROVAL_WINDOW_SECONDS + ${approvalRetentionMarginSeconds}, so a held request is still kept when its window ends`,
    )
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return {
    http: {
      host: settings.HOST,
      port: settings.PORT,
      bodyLimitBytes: settings.BODY_LIMIT_BYTES,
      keepAliveTimeoutMs: settings.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    logging: { level: settings.LOG_LEVEL },
    redis: {
      url: settings.REDIS_URL,
      keyPrefix: settings.REDIS_KEY_PREFIX,
      commandTimeoutMs: settings.REDIS_COMMAND_TIMEOUT_MS,
    },
    chains: settings.CHAIN_RPC_URLS,
    chainAddressesFile: settings.CHAIN_ADDRESSES_FILE,
    templates: {
      authorities: settings.TEMPLATE_AUTHORITY_KEYS,
      signatureThresholds: settings.TEMPLATE_SIGNATURE_THRESHOLDS,
    },
    tokens: {
      signingKey: settings.TOKEN_SIGNING_KEY,
      verificationKeys: settings.TOKEN_VERIFICATION_KEYS,
      issuer: settings.TOKEN_ISSUER,
      audience: settings.TOKEN_AUDIENCE,
      ttlSeconds: settings.TOKEN_TTL_SECONDS,
      maxTtlSeconds: settings.TOKEN_MAX_TTL_SECONDS,
    },
    adminKeys: settings.ADMIN_KEYS,
    console: {
      sessionTtlSeconds: settings.CONSOLE_SESSION_TTL_SECONDS,
      cookieSecure: settings.CONSOLE_COOKIE_SECURE,
      loginAttempts: settings.CONSOLE_LOGIN_ATTEMPTS,
    },
    killSwitch: { maxStalenessMs: settings.KILL_SWITCH_MAX_STALENESS_MS },
    gatewayId: settings.GATEWAY_ID,
    log: {
      dir: settings.DATA_DIR,
      origin: settings.LOG_ORIGIN ?? `intentgate/${settings.GATEWAY_ID}`,
      signingKey: settings.LOG_SIGNING_KEY,
    },
    attestationKey: settings.ATTESTATION_SIGNING_KEY,
    policy: {
      wasmFile: settings.POLICY_WASM_FILE,
      dataFile: settings.POLICY_DATA_FILE,
      bundleKeys: settings.POLICY_BUNDLE_KEYS,
      bundleMaxBytes: settings.POLICY_BUNDLE_MAX_BYTES,
      shadowBundleFile: settings.POLICY_SHADOW_BUNDLE_FILE,
    },
    requestRetentionSeconds: settings.REQUEST_RETENTION_SECONDS,
    relay: {
      keys: settings.RELAYER_KEYS,
      concurrency: settings.RELAY_CONCURRENCY,
      maxInFlightPerKey: settings.RELAY_MAX_IN_FLIGHT_PER_KEY,
      confirmations: settings.RELAY_CONFIRMATIONS,
      replaceAfterMs: settings.RELAY_REPLACE_AFTER_MS,
      maxReplacements: settings.RELAY_MAX_REPLACEMENTS,
      pollIntervalMs: settings.RELAY_POLL_INTERVAL_MS,
      feeHeadroom: settings.RELAY_FEE_HEADROOM,
      minBalanceWei: settings.RELAY_MIN_BALANCE_WEI,
      jobLockMs: settings.RELAY_JOB_LOCK_MS,
    },
    sponsorship: {
      signerKey: settings.PAYMASTER_SIGNER_KEY,
      windowSeconds: settings.SPONSORSHIP_WINDOW_SECONDS,
      bundlerUrl: settings.BUNDLER_URL,
      sweepIntervalMs: settings.USER_OP_SWEEP_INTERVAL_MS,
    },
    approvals: {
      windowSeconds: settings.APPROVAL_WINDOW_SECONDS,
      sweepIntervalMs: settings.APPROVAL_SWEEP_INTERVAL_MS,
    },
    dependencyTimeoutMs: settings.DEPENDENCY_TIMEOUT_MS,
    chainRpc: {
      retry: {
        attempts: settings.CHAIN_RPC_ATTEMPTS,
        baseDelayMs: settings.CHAIN_RPC_RETRY_BASE_MS,
        maxDelayMs: settings.CHAIN_RPC_RETRY_MAX_MS,
      },
      batchMax: settings.CHAIN_RPC_BATCH_MAX,
      identityCheckMs: settings.CHAIN_IDENTITY_CHECK_MS,
    },
    outbound: { private: settings.OUTBOUND_PRIVATE_NETWORKS },
    shutdownTimeoutMs: settings.SHUTDOWN_TIMEOUT_MS,
    failpoints: settings.FAILPOINTS,
    attestedRefusalsPerMinute: settings.ATTESTED_REFUSALS_PER_MINUTE,
  }
}

/** An empty variable (`FOO=`) means "use the default", as most shells and .env files intend. */
function withoutEmptyValues(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {}
  for (const name of Object.keys(settingsSchema.shape)) {
    const value = env[name]
    if (value !== undefined && value !== '') picked[name] = value
  }
  return picked
}
