import type { Reason } from '../errors/index.js'
import type { KillEntry, KillSwitch } from '../killSwitch/killSwitch.js'
import type { InstanceStore } from './instances.js'
import type { TemplateRegistry } from './registry.js'

/**
 * Why an instance can no longer act, if it was revoked (or its template was) since a request of it
 * was decided, or, when `expiredBy` is given (unix seconds), its template expired by then: either
 * is final, so whatever the request was waiting for, it stops. `since` ends the message, for
 * example "after the approval".
 */
export async function endOf(
  deps: { instances: Pick<InstanceStore, 'get'>; registry: Pick<TemplateRegistry, 'state'> },
  instanceId: string,
  since: string,
  expiredBy?: number,
): Promise<Reason | undefined> {
  const instance = await deps.instances.get(instanceId)
  if (!instance || instance.status === 'revoked') {
    return { code: 'INSTANCE_REVOKED', message: `instance ${instanceId} was revoked ${since}` }
  }
  const template = await deps.registry.state(instance.templateDigest)
  if (!template || template.status === 'revoked') {
    return { code: 'TEMPLATE_REVOKED', message: `template ${instance.templateDigest} was revoked ${since}` }
  }
  if (expiredBy !== undefined && !(Date.parse(template.expiresAt) > expiredBy * 1000)) {
    return {
      code: 'TEMPLATE_EXPIRED',
      message: `template ${instance.templateDigest} expired at ${template.expiresAt} ${since}`,
    }
  }
  return undefined
}

/** What keeps a decided request from going on now; see {@link stopOf}. */
export type Stop = { kind: 'kill-switch'; engaged: KillEntry } | { kind: 'ended'; reason: Reason }

/**
 * The state behind a decided request, read again before it goes on (relayed, bundled, approved):
 * an engaged kill switch, which only holds it, comes before a revocation (or, with `expiredBy`, a
 * template's expiry), which is final. Undefined when nothing stops it.
 */
export async function stopOf(
  deps: Parameters<typeof endOf>[0] & { killSwitch: Pick<KillSwitch, 'check'> },
  request: { instanceId: string; templateId: string; chainId: number },
  since: string,
  expiredBy?: number,
): Promise<Stop | undefined> {
  const engaged = await deps.killSwitch.check(request)
  if (engaged) return { kind: 'kill-switch', engaged }
  const reason = await endOf(deps, request.instanceId, since, expiredBy)
  return reason ? { kind: 'ended', reason } : undefined
}
