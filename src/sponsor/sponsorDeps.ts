import type { Address, Hex, LocalAccount } from 'viem'
import type { ServedChain } from '../chain/servedChain.js'
import { IntentGateError } from '../errors/index.js'
import type { KillSwitch } from '../killSwitch/killSwitch.js'
import type { PipelineDeps } from '../pipeline/pipelineDeps.js'
import type { InstanceStore } from '../templates/instances.js'
import type { DigestSigner } from './paymasterData.js'
import type { SponsorshipStore } from './sponsorshipStore.js'

/** What the ERC-7677 methods need: the decision pipeline's parts, the paymaster signer and its chain. */
export type SponsorDeps = Pick<
  PipelineDeps,
  | 'authorizer'
  | 'registry'
  | 'policies'
  | 'limits'
  | 'attestor'
  | 'requests'
  | 'hold'
  | 'now'
  | 'logger'
  | 'gatewayId'
  | 'refusalBudget'
> & {
  /** The chain of the IntentPaymaster this gateway signs for (CHAIN_ADDRESSES_FILE). */
  chain: ServedChain
  signer: Pick<LocalAccount, 'address'> & DigestSigner
  /** Fails closed unless the paymaster on chain trusts `signer` (see paymasterSignerCheck.ts). */
  assertPaymasterTrustsSigner: () => Promise<void>
  /** Seconds a paymaster signature stays valid (SPONSORSHIP_WINDOW_SECONDS). */
  windowSeconds: number
  sponsorships: SponsorshipStore
  /** Re-read at eth_sendUserOperation, so a kill switch or revocation after sponsorship stops relaying. */
  killSwitch: Pick<KillSwitch, 'check'>
  instances: Pick<InstanceStore, 'get'>
  /**
   * Self-bundling: whether the relay still follows a transaction at the op's bundle nonce (a bundle
   * or its cancel, sent and not yet settled). An op's outcome waits for it, so a cancel mined
   * there is in the outcome.
   */
  bundleInFlight?: (requestDigest: string) => Promise<boolean>
  /** intentgate_gas_spent_wei_total, counted when an op settles. */
  gasSpent?: { inc(labels: { chain: string; template: string }, wei: number): void }
}

/** Where an ERC-7677 or bundler call says its op goes. */
export type SponsorTarget = { chainId: number; entryPoint: Address }

/** Refuses a chain or EntryPoint the gateway does not sponsor on, before anything is decided. */
export function assertSponsorTarget(chain: ServedChain, target: SponsorTarget): void {
  if (target.chainId !== chain.chainId) {
    throw new IntentGateError('CHAIN_NOT_SERVED', 'Chain not served', {
      details: `chain ${target.chainId}; this gateway sponsors on ${chain.chainId}`,
    })
  }
  assertEntryPoint(chain, target.entryPoint)
  chain.identity?.assertUnchanged()
}

/** Refuses an EntryPoint other than the served chain's v0.7 one. */
export function assertEntryPoint(chain: ServedChain, entryPoint: Hex): void {
  if (entryPoint.toLowerCase() !== chain.addresses.entryPoint.toLowerCase()) {
    throw new IntentGateError('ENTRY_POINT_NOT_SUPPORTED', 'EntryPoint not supported', {
      details: `${entryPoint}; this gateway serves ${chain.addresses.entryPoint} (v0.7)`,
    })
  }
}
