import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import type { RunningGateway } from '../../../src/main.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { repoRoot } from '../../support/paths.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
/** Every metric family the gateway exports, with its type and label names, from its own registry. */
const exported = new Map<string, { type: string; labels: Set<string> }>()

beforeAll(async () => {
  gateway = await harness.start()
  // What a scrape really returns: every family registered in the real app, sampled or not.
  const text = await (await fetch(`${gateway.url}/metrics`)).text()
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    exported.set(match[1] as string, { type: match[2] as string, labels: new Set() })
  for (const metric of gateway.registry.getMetricsAsArray()) {
    const family = exported.get(metric.name)
    if (family && 'labelNames' in metric && Array.isArray(metric.labelNames))
      for (const label of metric.labelNames) family.labels.add(String(label))
  }
})
afterAll(() => harness.stopAll())

/** A metric name as written in PromQL, and the label names its selectors and groupings use. */
type MetricUse = { name: string; labels: string[]; where: string }

/**
 * Finds every intentgate metric an expression names, with the labels it selects on
 * (`{label="…"}`) and groups by (`by (…)`). Grouping labels are checked against every metric of
 * the expression they apply to, which is how PromQL reads them.
 */
function metricUses(expression: string, where: string): MetricUse[] {
  const grouped = [...expression.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((match) =>
    (match[1] as string)
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '' && label !== 'le'),
  )
  return [...expression.matchAll(/\b(intentgate_[a-z0-9_]+)(\{([^}]*)\})?/g)].map((match) => {
    const selected = [...(match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (label) => label[1] as string,
    )
    return { name: match[1] as string, labels: [...selected, ...grouped], where }
  })
}

/** The family a sample name belongs to: histograms expose `_bucket`, `_sum` and `_count` series. */
function familyOf(name: string): { family: string; suffix?: string } {
  const suffix = /_(bucket|sum|count)$/.exec(name)?.[1]
  if (suffix && !exported.has(name)) return { family: name.slice(0, -suffix.length - 1), suffix }
  return { family: name }
}

function checkUses(uses: MetricUse[]) {
  const problems: string[] = []
  for (const use of uses) {
    const { family, suffix } = familyOf(use.name)
    const metric = exported.get(family)
    if (!metric) {
      problems.push(`${use.where}: ${use.name} is not exported`)
      continue
    }
    if (suffix && metric.type !== 'histogram' && metric.type !== 'summary')
      problems.push(`${use.where}: ${use.name} reads _${suffix} of a ${metric.type}`)
    // Grafana's own labels and Prometheus's target labels are not the gateway's to export.
    for (const label of use.labels.filter((name) => !['instance', 'job'].includes(name)))
      if (!metric.labels.has(label)) problems.push(`${use.where}: ${family} has no label ${label}`)
  }
  return problems
}

describe('the dashboard and the alert rules in ops/', () => {
  test('the gateway exports the metrics the issue lists', () => {
    for (const name of [
      'intentgate_decisions_total',
      'intentgate_decision_stage_duration_seconds',
      'intentgate_limit_utilisation_ratio',
      'intentgate_relay_queue_depth',
      'intentgate_relay_outcomes_total',
      'intentgate_gas_spent_wei_total',
      'intentgate_relayer_balance_wei',
      'intentgate_policy_info',
      'intentgate_log_entries',
      'intentgate_log_checkpoint_age_seconds',
    ])
      expect(exported.has(name), name).toBe(true)
    expect([...(exported.get('intentgate_decisions_total')?.labels ?? [])].sort()).toStrictEqual([
      'decision',
      'reason',
      'template',
    ])
  })

  test('every metric and label the Grafana dashboard queries is exported by the gateway', () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'ops/grafana/intentgate.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[]
      templating: { list: { name: string; definition?: string }[] }
    }
    const uses = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.flatMap((target) => metricUses(target.expr, `panel "${panel.title}"`)),
      ),
      ...dashboard.templating.list.flatMap((variable) =>
        variable.definition ? metricUses(variable.definition, `variable ${variable.name}`) : [],
      ),
    ]
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10)
    expect(dashboard.panels.every((panel) => panel.targets.length > 0)).toBe(true)
    expect(checkUses(uses)).toStrictEqual([])
    // Each panel names at least one metric, so a dashboard of typos could not pass as empty.
    for (const panel of dashboard.panels)
      expect(
        panel.targets.some((target) => metricUses(target.expr, '').length > 0),
        panel.title,
      ).toBe(true)
  })

  test('every metric and label the alert rules use is exported, and each alert the issue asks for is there', () => {
    const rules = parse(readFileSync(join(repoRoot, 'ops/prometheus/alerts.yml'), 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[]
    }
    const all = rules.groups.flatMap((group) => group.rules)
    const uses = all.flatMap((rule) => metricUses(rule.expr, `alert ${rule.alert}`))
    expect(checkUses(uses)).toStrictEqual([])
    for (const rule of all) {
      expect(metricUses(rule.expr, rule.alert).length, rule.alert).toBeGreaterThan(0)
      expect(['page', 'warn', 'info']).toContain(rule.labels.severity)
    }
    const metricsOf = (alert: string) =>
      metricUses(all.find((rule) => rule.alert === alert)?.expr ?? '', alert).map((use) => use.name)
    expect(metricsOf('IntentgateRelayerBalanceLow')).toContain('intentgate_relayer_balance_wei')
    expect(metricsOf('IntentgateDenialSpike')).toContain('intentgate_decisions_total')
    expect(metricsOf('IntentgateRelayFailures')).toContain('intentgate_relay_outcomes_total')
    expect(metricsOf('IntentgateCheckpointStale')).toContain('intentgate_log_checkpoint_age_seconds')
    expect(metricsOf('IntentgateShadowPolicyDisagrees')).toContain('intentgate_policy_shadow_decisions_total')
  })

  test('a misspelt metric or label would be caught', () => {
    expect(checkUses(metricUses('rate(intentgate_decision_total[5m])', 'probe'))).toStrictEqual([
      'probe: intentgate_decision_total is not exported',
    ])
    expect(
      checkUses(metricUses('sum by (instance_id) (rate(intentgate_decisions_total[5m]))', 'probe')),
    ).toStrictEqual(['probe: intentgate_decisions_total has no label instance_id'])
    expect(checkUses(metricUses('intentgate_log_entries_bucket', 'probe'))).toStrictEqual([
      'probe: intentgate_log_entries_bucket reads _bucket of a gauge',
    ])
  })
})
