import { type Context, Hono } from 'hono'
import type { RecordAdminAction } from '../../../admin/adminActions.js'
import type { AdminKeyVerifier } from '../../../auth/adminKeys.js'
import { IntentGateError } from '../../../errors/index.js'
import type { PolicyStore } from '../../../policy/policyStore.js'
import { requireAdmin } from '../../middleware/requireAdmin.js'
import type { AdminEnv } from './adminEnv.js'

/** The path of bundle uploads, which get their own, larger body limit. */
export const policyBundlePath = '/v1/admin/policy/bundles'

/**
 * GET /v1/admin/policy shows the active policy and its predecessors (auditor).
 * POST /v1/admin/policy/bundles uploads a signed bundle (a tar.gz built by `npm run policies:sign`)
 * and hot-swaps it in once it verifies and loads; requests in flight finish on the policy they
 * started with (operator).
 */
export function policyRoute(deps: {
  verifyAdminKey: AdminKeyVerifier
  policies: PolicyStore
  recordAdminAction: RecordAdminAction
}) {
  const describe = () => {
    const { revision, digest, keyId, activatedAt } = deps.policies.current()
    return { revision, digest, ...(keyId ? { keyId } : {}), activatedAt }
  }
  return new Hono<AdminEnv>()
    .get('/v1/admin/policy', requireAdmin(deps.verifyAdminKey, 'read'), (c) =>
      c.json({ active: describe(), history: deps.policies.history() }),
    )
    .post(policyBundlePath, requireAdmin(deps.verifyAdminKey, 'write'), async (c) => {
      const bundle = await readBundleBody(c)
      const { active, replaced } = await deps.policies.swap(bundle)
      await deps.recordAdminAction({
        actor: c.var.principal,
        action: 'policy.swap',
        target: active.digest,
        detail: {
          revision: active.revision,
          keyId: active.keyId,
          replaced: { revision: replaced.revision, digest: replaced.digest },
        },
      })
      return c.json(
        { active: describe(), replaced: { revision: replaced.revision, digest: replaced.digest } },
        201,
      )
    })
}

/** The body of a bundle upload: the tar.gz itself, sent as application/gzip (415 otherwise). */
export async function readBundleBody(c: Context): Promise<Uint8Array> {
  const contentType = c.req.header('content-type') ?? ''
  if (!/^application\/(gzip|x-gzip|octet-stream)\s*(;|$)/i.test(contentType)) {
    throw new IntentGateError('UNSUPPORTED_MEDIA_TYPE', 'Body must be the bundle as application/gzip')
  }
  return new Uint8Array(await c.req.arrayBuffer())
}
