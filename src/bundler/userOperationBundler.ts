import type { Hex } from 'viem'
import type { UserOperationV07 } from '../intents/userOperation.js'
import type { RequestRecord } from '../requests/requestStore.js'
import type { SponsoredRecord } from '../sponsor/checkSponsoredOperation.js'

/**
 * What the bundler methods of /rpc stand on, in either mode: an upstream bundler at BUNDLER_URL
 * (upstreamBundler.ts), or the gateway bundling ops itself through the relay (selfBundler.ts).
 * The methods check everything a client sends before any of these is called.
 */
export type UserOperationBundler = {
  readonly mode: 'upstream' | 'self'
  /**
   * Sends an op that checkSponsoredOperation passed, for the sponsorship `record`, and notes on
   * the record that it was sent. Answers its userOpHash.
   */
  send(userOp: UserOperationV07, record: SponsoredRecord): Promise<Hex>
  /** eth_estimateUserOperationGas of an unsigned op paid by this gateway's paymaster. */
  estimate(userOp: UserOperationV07, stateOverride: Record<string, unknown> | undefined): Promise<unknown>
  /** eth_getUserOperationReceipt of an op this gateway sponsored (`record`), or null. */
  receipt(userOpHash: Hex, record: RequestRecord): Promise<unknown>
  /** eth_getUserOperationByHash of an op this gateway sponsored (`record`), or null. */
  byHash(userOpHash: Hex, record: RequestRecord): Promise<unknown>
}
