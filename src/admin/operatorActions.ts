import type { AdminPrincipal } from '../auth/adminKeys.js'
import type { KillScope, KillSwitch } from '../killSwitch/killSwitch.js'
import type { InstanceStore } from '../templates/instances.js'
import type { TemplateRegistry } from '../templates/registry.js'
import type { RecordAdminAction } from './adminActions.js'

/**
 * The changes an operator makes, each done and then recorded (attested, streamed, logged) in one
 * place, so the admin API and the console act the same way and leave the same trail.
 */

export async function revokeInstance(
  deps: { instances: Pick<InstanceStore, 'revoke'>; recordAdminAction: RecordAdminAction },
  actor: AdminPrincipal,
  request: { id: string; reason: string },
) {
  const instance = await deps.instances.revoke(request.id, actor.name, request.reason)
  await deps.recordAdminAction({
    actor,
    action: 'instance.revoke',
    target: request.id,
    detail: { reason: request.reason },
  })
  return instance
}

export async function changeTemplateStatus(
  deps: { registry: Pick<TemplateRegistry, 'deprecate' | 'revoke'>; recordAdminAction: RecordAdminAction },
  actor: AdminPrincipal,
  request: { change: 'deprecate' | 'revoke'; digest: string; reason: string },
) {
  const record = await deps.registry[request.change](request.digest, actor.name, request.reason)
  await deps.recordAdminAction({
    actor,
    action: `template.${request.change}`,
    target: request.digest,
    detail: { reason: request.reason },
  })
  return record
}

export type KillSwitchTarget = { scope: KillScope; target?: string | undefined }

export async function engageKillSwitch(
  deps: { killSwitch: Pick<KillSwitch, 'engage'>; recordAdminAction: RecordAdminAction },
  actor: AdminPrincipal,
  request: KillSwitchTarget & { reason: string },
) {
  const entry = await deps.killSwitch.engage({
    scope: request.scope,
    ...(request.target ? { target: request.target } : {}),
    reason: request.reason,
    by: actor.name,
  })
  await deps.recordAdminAction({
    actor,
    action: 'kill-switch.engage',
    target: killTargetName(request),
    detail: { reason: request.reason },
  })
  return entry
}

export async function releaseKillSwitch(
  deps: { killSwitch: Pick<KillSwitch, 'release'>; recordAdminAction: RecordAdminAction },
  actor: AdminPrincipal,
  request: KillSwitchTarget,
) {
  const released = await deps.killSwitch.release(request.scope, request.target)
  await deps.recordAdminAction({ actor, action: 'kill-switch.release', target: killTargetName(request) })
  return released
}

function killTargetName(request: KillSwitchTarget): string {
  return request.target ? `${request.scope}:${request.target}` : request.scope
}
