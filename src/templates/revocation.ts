import type { Reason } from '../errors/index.js'
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
