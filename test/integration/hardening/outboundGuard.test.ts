import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { fixtureAccounts } from '../../../src/chain/anvilAccounts.js'
import type { ReadinessReport } from '../../../src/health/readiness.js'
import type { RunningGateway } from '../../../src/main.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'
import { rpc } from '../userOps/userOpEnvironment.js'

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

describe('the outbound guard on BUNDLER_URL', () => {
  /** eth_estimateUserOperationGas of a well-formed op paid by this gateway: the one call proxied as is. */
  async function estimate(gateway: RunningGateway) {
    const addresses = await fixtureAddresses()
    const op = {
      sender: freshUser().address,
      nonce: '0x0',
      callData: '0x',
      callGasLimit: '0x1',
      verificationGasLimit: '0x1',
      preVerificationGas: '0x1',
      maxFeePerGas: '0x1',
      maxPriorityFeePerGas: '0x1',
      paymaster: addresses.paymaster,
      signature: '0x',
    }
    return rpc(gateway, 'eth_estimateUserOperationGas', [op, addresses.entryPoint])
  }

  test('a bundler at the cloud metadata address is never fetched: the call fails closed', async () => {
    const gateway = await harness.start({
      PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
      BUNDLER_URL: 'http://169.254.169.254/rpc',
    })
    expect((await estimate(gateway)).error).toMatchObject({
      code: -33503,
      data: { code: 'DEPENDENCY_UNAVAILABLE' },
    })
  })

  test('with private networks denied, a bundler host name resolving to loopback is refused at connect time', async () => {
    let connections = 0
    const bundler = createServer((_request, response) => response.end('{}'))
    bundler.on('connection', () => connections++)
    await new Promise<void>((resolve) => bundler.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = bundler.address() as AddressInfo
      const gateway = await harness.start({
        PAYMASTER_SIGNER_KEY: fixtureAccounts.paymasterSigner.privateKey,
        BUNDLER_URL: `http://localhost:${port}/rpc`,
        OUTBOUND_PRIVATE_NETWORKS: 'deny',
      })
      expect((await estimate(gateway)).error).toMatchObject({ data: { code: 'DEPENDENCY_UNAVAILABLE' } })
      expect(connections).toBe(0)
    } finally {
      bundler.closeAllConnections()
      await new Promise<void>((resolve) => bundler.close(() => resolve()))
    }
  })
})
