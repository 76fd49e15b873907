import type { Address, Hex } from 'viem'
import { recoverAddress } from '../crypto/recoverAddress.js'
import { IntentGateError } from '../errors/index.js'
import { userOperationDigest } from '../intents/requestDigest.js'
import type { UserOperationV07 } from '../intents/userOperation.js'
import type { RequestRecord } from '../requests/requestStore.js'
import { decodePaymasterData, hashSponsoredUserOperation, type PaymasterData } from './paymasterData.js'
import { assertEntryPoint, type SponsorDeps } from './sponsorDeps.js'

export type SponsoredRecord = Extract<RequestRecord, { status: 'sponsored' }>

/**
 * The gate of eth_sendUserOperation: the op must name this gateway's paymaster and carry its
 * signature over exactly this op (the hash is recomputed from every field), for a sponsorship
 * that was decided, recorded and is still within its window, of an instance and template that
 * are still good and under no kill switch. Returns the sponsorship's record.
 */
export async function checkSponsoredOperation(
  deps: Pick<SponsorDeps, 'chain' | 'signer' | 'requests' | 'now' | 'killSwitch' | 'instances' | 'registry'>,
  parameters: { userOp: UserOperationV07; entryPoint: Address },
): Promise<SponsoredRecord> {
  const { chain } = deps
  const { userOp, entryPoint } = parameters
  assertEntryPoint(chain, entryPoint)
  // A sponsorship signed for the chain that was there before is not relayed to its replacement.
  chain.identity?.assertUnchanged()
  const paymaster = chain.addresses.paymaster
  if (userOp.paymaster?.toLowerCase() !== paymaster.toLowerCase()) {
    throw new IntentGateError('PAYMASTER_MISMATCH', 'Not sponsored by this gateway', {
      details: `the operation's paymaster is ${userOp.paymaster ?? 'none'}; this gateway only relays operations paid by ${paymaster}`,
    })
  }
  let signed: PaymasterData
  try {
    signed = decodePaymasterData(userOp.paymasterData ?? '0x')
  } catch (error) {
    throw invalid(
      error instanceof IntentGateError && error.details ? error.details : 'malformed paymasterData',
    )
  }

  const id = userOperationDigest({ userOp, chainId: chain.chainId, entryPoint: chain.addresses.entryPoint })
  const record = await deps.requests.get(id)
  // Only a sponsorship writes userOperation: one the policy allowed, or one operators approved.
  const approved = record?.decision.allow || record?.approval !== undefined
  if (!record?.userOperation || !approved) {
    throw invalid(
      'no sponsorship was decided for this exact operation; was it changed after pm_getPaymasterData?',
    )
  }
  if (record.status === 'cancelled') {
    throw new IntentGateError('SPONSORSHIP_EXPIRED', 'Sponsorship expired', {
      details: `valid until ${record.userOperation.validUntil}, and released`,
    })
  }
  if (record.status !== 'sponsored') {
    throw new IntentGateError('REQUEST_REPLAYED', 'This user operation already settled', {
      details: `it is ${record.status}`,
    })
  }
  const hash = hashSponsoredUserOperation({
    chainId: chain.chainId,
    paymaster,
    validUntil: signed.validUntil,
    validAfter: signed.validAfter,
    decisionDigest: signed.decisionDigest,
    userOperation: {
      ...userOp,
      paymasterVerificationGasLimit: userOp.paymasterVerificationGasLimit ?? 0n,
      paymasterPostOpGasLimit: userOp.paymasterPostOpGasLimit ?? 0n,
    },
  })
  if (recoveredSigner(hash, signed.signature)?.toLowerCase() !== deps.signer.address.toLowerCase()) {
    throw invalid("paymasterData is not this gateway's signature over this operation")
  }
  if (
    signed.decisionDigest.toLowerCase() !== record.userOperation.decisionDigest.toLowerCase() ||
    signed.validUntil !== record.userOperation.validUntil
  ) {
    throw invalid('paymasterData is signed for another decision of this operation')
  }
  if (signed.validUntil <= deps.now()) {
    throw new IntentGateError('SPONSORSHIP_EXPIRED', 'Sponsorship expired', {
      details: `valid until ${signed.validUntil}; ask pm_getPaymasterData again`,
    })
  }
  await assertStillSponsored(deps, record)
  return record
}

/**
 * A sponsorship already signed stays valid on chain until its window ends (only rotating the
 * paymaster's signer stops that), but this gateway relays nothing a kill switch or a revocation
 * has stopped since it was decided.
 */
async function assertStillSponsored(
  deps: Pick<SponsorDeps, 'chain' | 'killSwitch' | 'instances' | 'registry'>,
  record: SponsoredRecord,
): Promise<void> {
  const engaged = await deps.killSwitch.check({
    templateId: record.templateId,
    instanceId: record.instanceId,
    chainId: deps.chain.chainId,
  })
  if (engaged) {
    const scope = engaged.target ? `${engaged.scope} ${engaged.target}` : engaged.scope
    throw new IntentGateError('KILL_SWITCH', 'Kill switch engaged', { details: scope })
  }
  const instance = await deps.instances.get(record.instanceId)
  if (!instance || instance.status === 'revoked')
    throw new IntentGateError('INSTANCE_REVOKED', 'Instance is revoked')
  const template = await deps.registry.state(instance.templateDigest)
  if (!template || template.status === 'revoked') {
    throw new IntentGateError('TEMPLATE_REVOKED', 'Template is revoked')
  }
}

function recoveredSigner(hash: Hex, signature: Hex): Address | undefined {
  try {
    return recoverAddress(hash, signature)
  } catch {
    return undefined
  }
}

function invalid(details: string): IntentGateError {
  return new IntentGateError('SPONSORSHIP_INVALID', 'Not a sponsorship of this gateway for this operation', {
    details,
  })
}
