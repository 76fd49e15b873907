import { predicateTypes } from '../attest/statementSchemas.js'
import type { AuditReader } from '../audit/auditReader.js'
import type { Intent } from '../intents/intent.js'
import { buildPolicyInput, policyTemplateOf } from '../policy/buildPolicyInput.js'
import {
  isPolicyDecision,
  type ReplayCase,
  type ReplayReport,
  replayDecisions,
} from '../policy/replayDecisions.js'
import type { WasmPolicy } from '../policy/wasmPolicy.js'
import type { InstanceRecord, InstanceStore } from '../templates/instances.js'
import type { TemplateRecord, TemplateRegistry } from '../templates/registry.js'

export type ReplayPolicyDeps = {
  audit: Pick<AuditReader, 'query' | 'entry'>
  registry: Pick<TemplateRegistry, 'get'>
  instances: Pick<InstanceStore, 'get'>
}

export type ReplayPolicyParameters = {
  candidate: Pick<WasmPolicy, 'evaluate'>
  /** The last N decisions in the log (default 1000). */
  last?: number
  /** Only decisions made at or after this time, in milliseconds since the epoch. */
  since?: number
  examples?: number
}

export type ReplayPolicyResult = ReplayReport & {
  /** Decisions selected from the log. */
  considered: number
  /** Selected but not replayed, by cause: not decided by the policy, or template or instance gone. */
  skipped: { count: number; byCause: Record<string, number> }
}

/** The most decisions one replay looks at, so an operator's request stays bounded. */
export const maxReplayDecisions = 10_000

/**
 * Replays logged decisions against a candidate policy: each is decided again on the intent, time
 * and instance recorded in its attestation and the template it names. Read-only: it reads the
 * log, the registry and the instances, and reserves, logs and records nothing.
 */
export async function replayPolicy(
  deps: ReplayPolicyDeps,
  parameters: ReplayPolicyParameters,
): Promise<ReplayPolicyResult> {
  const last = Math.min(parameters.last ?? 1000, maxReplayDecisions)
  const indices = await decisionIndices(deps.audit, parameters.since)
  const selected = indices.slice(-last)
  const skipped: Record<string, number> = {}
  const skip = (cause: string) => {
    skipped[cause] = (skipped[cause] ?? 0) + 1
  }
  const templates = new Map<string, Promise<TemplateRecord | undefined>>()
  const instances = new Map<string, Promise<InstanceRecord | undefined>>()
  const cases: ReplayCase[] = []
  for (const index of selected) {
    const { statement } = await deps.audit.entry(index)
    if (statement.predicateType !== predicateTypes.decision) continue
    const { predicate } = statement
    // A hold is replayed as a hold: its k is compared too, not only allow against deny.
    const recorded = {
      allow: predicate.decision.allow,
      reasons: [...new Set(predicate.decision.reasons.map((reason) => reason.code))],
      ...(predicate.approval ? { approvals: predicate.approval } : {}),
    }
    if (!isPolicyDecision(recorded)) {
      skip('not-decided-by-policy')
      continue
    }
    const template = await cached(templates, predicate.template.digest, () =>
      deps.registry.get(predicate.template.digest),
    )
    const instance = await cached(instances, predicate.instance.id, () =>
      deps.instances.get(predicate.instance.id),
    )
    if (!template || !instance) {
      skip(template ? 'instance-unknown' : 'template-unknown')
      continue
    }
    cases.push({
      index,
      requestDigest: predicate.intent.requestDigest,
      templateId: template.id,
      recorded,
      input: buildPolicyInput({
        // The statement holds the Intent exactly as the pipeline built it; its schema pins only some fields.
        intent: predicate.intent as unknown as Intent,
        template: policyTemplateOf(template, instance),
        instance: { id: instance.id },
        now: Math.floor(Date.parse(predicate.decidedAt) / 1000),
      }),
    })
  }
  const report = replayDecisions(cases, (input) => parameters.candidate.evaluate(input), {
    ...(parameters.examples === undefined ? {} : { examples: parameters.examples }),
  })
  const skippedCount = Object.values(skipped).reduce((sum, n) => sum + n, 0)
  return { considered: selected.length, skipped: { count: skippedCount, byCause: skipped }, ...report }
}

async function decisionIndices(
  audit: ReplayPolicyDeps['audit'],
  since: number | undefined,
): Promise<number[]> {
  const indices: number[] = []
  let cursor: number | null = 0
  while (cursor !== null) {
    const page = await audit.query(
      { kind: 'decision', ...(since === undefined ? {} : { since }) },
      { cursor, limit: 500 },
    )
    indices.push(...page.entries.map((entry) => entry.index))
    // Only the newest are replayed; older ones need not be kept.
    if (indices.length > 2 * maxReplayDecisions) indices.splice(0, indices.length - maxReplayDecisions)
    cursor = page.next
  }
  return indices
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = map.get(key)
  if (!value) {
    value = load()
    map.set(key, value)
  }
  return value
}
