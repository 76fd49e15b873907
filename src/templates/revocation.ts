import type { Reason } from '../errors/index.js'
import type { KillEntry, KillSwitch } from '../killSwitch/killSwitch.js'
import type { InstanceStore } from './instances.js'
import type { TemplateRegistry } from './registry.js'

/**
 * Why an instance can no longer act, if it was revoked (or its template was) since a request of it
 * was decided: a revocation is final, so whatever the request was waiting for, it stops. `since`
 * ends the message, for example "after the approval".
 */
export async function revocationOf(
  deps: { instances: Pick<InstanceStore, 'get'>; registry: Pick<TemplateRegistry, 'state'> },
  instanceId: string,
  since: string,
): Promise<Reason | undefined> {
  const instance = await deps.instances.get(instanceId)
  if (!instance || instance.status === 'revoked') {
    return { code: 'INSTANCE_REVOKED', message: `instance ${instanceId} was revoked ${since}` }
  }
  const template = await deps.registry.state(instance.templateDigest)
  if (!template || template.status === 'revoked') {
    return { code: 'TEMPLATE_REVOKED', message: `template ${instance.templateDigest} was revoked ${since}` }
  }
  return undefined
}

/** What keeps a decided request from going on now; see {@link stopOf}. */
export type Stop = { kind: 'kill-switch'; engaged: KillEntry } | { kind: 'revoked'; reason: Reason }

/**
 * The state behind a decided request, read again before it goes on (relayed, bundled, approved):
 * an engaged kill switch, which only holds it, comes before a revocation, which is final.
 * Undefined when nothing stops it.
 */
export async function stopOf(
  deps: Parameters<typeof revocationOf>[0] & { killSwitch: Pick<KillSwitch, 'check'> },
  request: { instanceId: string; templateId: string; chainId: number },
  since: string,
): Promise<Stop | undefined> {
  const engaged = await deps.killSwitch.check(request)
  if (engaged) return { kind: 'kill-switch', engaged }
  const reason = await revocationOf(deps, request.instanceId, since)
  return reason ? { kind: 'revoked', reason } : undefined
}
