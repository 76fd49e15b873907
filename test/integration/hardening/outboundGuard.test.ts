import { afterAll, describe, expect, test } from 'vitest'
import type { ReadinessReport } from '../../../src/health/readiness.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'

const harness = createGatewayHarness()
afterAll(() => harness.stopAll())

describe('the outbound guard on chain RPC URLs', () => {
  test('with private networks denied, a loopback RPC is never connected to: the chain is not ready', async () => {
    const gateway = await harness.start({ OUTBOUND_PRIVATE_NETWORKS: 'deny' })
    const response = await fetch(`${gateway.url}/readyz`)
    const report = (await response.json()) as ReadinessReport
    expect(response.status).toBe(503)
    expect(report.checks.find((check) => check.name === 'chain:31337')?.ok).toBe(false)
    expect(report.checks.find((check) => check.name === 'redis')?.ok).toBe(true)
  })

  test('an RPC URL pointing at the cloud metadata address is refused even when private networks are allowed', async () => {
    const gateway = await harness.start({ CHAIN_RPC_URLS: '31337=http://169.254.169.254/' })
    const response = await fetch(`${gateway.url}/readyz`)
    const report = (await response.json()) as ReadinessReport
    expect(response.status).toBe(503)
    expect(report.checks.find((check) => check.name === 'chain:31337')?.ok).toBe(false)
  })

  test('by default the loopback Anvil of the tests is reachable', async () => {
    const gateway = await harness.start()
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200)
  })
})
