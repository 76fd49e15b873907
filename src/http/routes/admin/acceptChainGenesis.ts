import { Hono } from 'hono'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import type { ChainIdentity } from '../../../chain/chainIdentity.js'
import { IntentGateError } from '../../../errors/index.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from './adminEnv.js'

type Deps = {
  verifyAdminKey: AdminKeyVerifier
  chainIdentities: ReadonlyMap<number, Pick<ChainIdentity, 'accept'>>
  recordAdminAction: RecordAdminAction
}

/**
 * POST /v1/admin/chains/{chainId}/genesis (operator): accepts the genesis the chain's RPC serves
 * now as the chain's identity, ending a CHAIN_IDENTITY_CHANGED halt in every process (they read
 * the pin at their next check). For an operator who replaced the chain on purpose.
 */
export function acceptChainGenesisRoute(deps: Deps) {
  return new Hono<AdminEnv>().post(
    '/v1/admin/chains/:chainId/genesis',
    requireAdmin(deps.verifyAdminKey, 'write'),
    async (c) => {
      const raw = c.req.param('chainId')
      const identity = /^[1-9]\d{0,18}$/.test(raw) ? deps.chainIdentities.get(Number(raw)) : undefined
      if (!identity)
        throw new IntentGateError('CHAIN_NOT_SERVED', 'Chain not served', {
          details: `chain ${raw.slice(0, 20)}`,
        })
      const genesis = await identity.accept()
      await deps.recordAdminAction({
        actor: c.var.principal,
        action: 'chain.accept-genesis',
        target: `chain:${raw}`,
        detail: { genesis },
      })
      return c.json({ chainId: Number(raw), genesis })
    },
  )
}
