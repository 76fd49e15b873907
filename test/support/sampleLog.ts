import { type Attestor, createAttestor, type LoggedAttestation } from '../../src/attest/attestationLog.js'
import { openTransparencyLog } from '../../src/attest/transparencyLog.js'
import { generateSigningKey, type SigningKey } from '../../src/crypto/ed25519.js'
import type { Intent } from '../../src/intents/intent.js'

/** Keys of a sample log: the log key signs checkpoints, the attestation key signs entries. */
export type SampleLogKeys = { origin: string; logKey: SigningKey; attestationKey: SigningKey }

export function sampleLogKeys(origin = 'audit.test/gw-1'): SampleLogKeys {
  return { origin, logKey: generateSigningKey(), attestationKey: generateSigningKey() }
}

/** A request digest for sample request `n`: 0x and 64 hex digits. */
export function sampleDigest(n: number, salt = 'a'): `0x${string}` {
  return `0x${salt}${n.toString(16).padStart(63, '0')}`
}

function sampleIntent(n: number, salt: string): Intent {
  return {
    kind: n % 2 === 0 ? 'meta-tx' : 'user-op',
    chainId: 31337,
    sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    calls: [],
    gas: { limit: '100000', maxFeePerGas: '1', maxCostWei: '100000' },
    validUntil: 1_900_000_000,
    nonce: String(n),
    requestDigest: sampleDigest(n, salt),
  }
}

export type SampleRequest = {
  requestDigest: string
  decision: LoggedAttestation
  outcome?: LoggedAttestation
  allow: boolean
  templateId: string
  instanceId: string
  txHash?: string
  userOpHash?: string
}

/**
 * Writes `count` requests through a real attestor and transparency log in `dir`: decisions for
 * two templates and three instances, every third one denied with QUOTA or SELECTOR reasons, each
 * allowed one followed by an outcome carrying a tx hash (meta-tx) or a userOpHash (user op), and
 * an admin action every fifth request. Times run one minute apart from 2030-01-01T00:00Z. The log
 * is closed at the end, so its last checkpoint covers every entry.
 */
export async function writeSampleLog(
  dir: string,
  keys: SampleLogKeys,
  options: { count?: number; salt?: string; start?: number } = {},
): Promise<SampleRequest[]> {
  const { count = 12, salt = 'a', start = 0 } = options
  const log = await openTransparencyLog({
    dir,
    origin: keys.origin,
    signingKey: { name: keys.origin, key: keys.logKey },
    // A checkpoint every few entries, as a paced production log would have.
    checkpointEvery: { entries: 3, ms: 60_000 },
  })
  const attestor = createAttestor({ log, key: keys.attestationKey, gatewayId: 'gw-1' })
  const requests: SampleRequest[] = []
  try {
    for (let n = start; n < start + count; n++) requests.push(await writeRequest(attestor, n, salt))
  } finally {
    await log.close()
  }
  return requests
}

async function writeRequest(attestor: Attestor, n: number, salt: string): Promise<SampleRequest> {
  const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes)).toISOString()
  const allow = n % 3 !== 2
  const templateId = n % 2 === 0 ? 'community-poll' : 'badge-mint'
  const instanceId = `inst_sample${String(n % 3).padStart(11, '0')}`
  const intent = sampleIntent(n, salt)
  const decision = await attestor.attestDecision({
    requestDigest: intent.requestDigest,
    decision: {
      allow,
      reasons: allow
        ? []
        : [{ code: n % 2 === 0 ? 'QUOTA_EXCEEDED' : 'SELECTOR_NOT_ALLOWED', message: 'no' }],
    },
    template: { id: templateId, digest: `sha256:${'cd'.repeat(32)}` },
    instance: { id: instanceId },
    policy: { revision: 'r1', digest: `sha256:${'ef'.repeat(32)}` },
    intent,
    limits: [],
    decidedAt: at(n),
  })
  const request: SampleRequest = {
    requestDigest: intent.requestDigest,
    decision,
    allow,
    templateId,
    instanceId,
  }
  if (allow) {
    const hash = `0x${salt}${(n + 0x1000).toString(16).padStart(63, '0')}`
    const outcomeHash = intent.kind === 'meta-tx' ? { txHash: hash } : { userOpHash: hash }
    request.outcome = await attestor.attestOutcome({
      requestDigest: intent.requestDigest,
      decisionEntry: { logIndex: decision.index, envelopeDigest: decision.envelopeDigest },
      outcome: { status: 'confirmed', chainId: 31337, ...outcomeHash, gasUsed: 21000n },
      recordedAt: at(n).replace(':00.000Z', ':30.000Z'),
    })
    Object.assign(request, outcomeHash)
  }
  if (n % 5 === 0)
    await attestor.attestAdminAction({
      actor: { name: 'alice', role: 'operator' },
      action: 'kill-switch.engage',
      target: 'global',
      detail: { n },
      at: at(n),
    })
  return request
}
