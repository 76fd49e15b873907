import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import {
  type ConsoleHttpSession,
  consoleLogin,
  csrfOf,
  getPage,
  postForm,
} from '../../support/consoleClient.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway
let operator: ConsoleHttpSession
let auditor: ConsoleHttpSession

beforeAll(async () => {
  gateway = await harness.start()
  const operatorLogin = (await consoleLogin(gateway.url, harness.keys.admin.operator)).session
  const auditorLogin = (await consoleLogin(gateway.url, harness.keys.admin.auditor)).session
  if (!operatorLogin || !auditorLogin) throw new Error('login failed')
  operator = operatorLogin
  auditor = auditorLogin
})
afterAll(() => harness.stopAll())

const html = async (path: string, session: ConsoleHttpSession) => {
  const response = await getPage(gateway.url, path, { cookie: session.cookie })
  expect(response.status, path).toBe(200)
  return response.text()
}

describe('console pages over HTTP', () => {
  test('the playground dry-runs through the evaluate logic for operators, writes nothing, and refuses auditors', async () => {
    const { instanceId } = await demoInstance(harness, gateway)
    const page = await html(`/console/playground?instance=${instanceId}`, operator)
    const example = /<textarea name="request"[^>]*>([\s\S]*?)<\/textarea>/.exec(page)?.[1] ?? ''
    const request = JSON.parse(example.replaceAll('&quot;', '"'))
    expect(request.intent.calls[0].selector).toBe('0x0121b93f')
    const sizeBefore = gateway.services.log.size()

    const allowed = await postForm(
      gateway.url,
      '/console/playground',
      {
        _csrf: operator.csrf,
        instanceId,
        request: JSON.stringify(request),
      },
      { cookie: operator.cookie },
    )
    expect(allowed.status).toBe(200)
    const allowedPage = await allowed.text()
    expect(allowedPage).toContain('<span class="badge allow">allow</span>')
    expect(allowedPage).toContain('No reasons: the policy allows it.')

    request.intent.calls[0].selector = '0xdeadbeef'
    const denied = await postForm(
      gateway.url,
      '/console/playground',
      {
        _csrf: operator.csrf,
        instanceId,
        request: JSON.stringify(request),
      },
      { cookie: operator.cookie },
    )
    const deniedPage = await denied.text()
    expect(deniedPage).toContain('<span class="badge deny">deny</span>')
    expect(deniedPage).toContain('<code>SELECTOR_NOT_ALLOWED</code>')
    // The same answer the API gives for the same body.
    const api = await callJson(gateway.url, 'POST', '/v1/policy/evaluate', {
      bearer: harness.keys.admin.operator,
      body: { instanceId, intent: request.intent },
    })
    expect(
      (api.body.decision as { reasons: { code: string }[] }).reasons.map((reason) => reason.code),
    ).toStrictEqual(['SELECTOR_NOT_ALLOWED'])
    expect(gateway.services.log.size()).toBe(sizeBefore)

    const broken = await postForm(
      gateway.url,
      '/console/playground',
      {
        _csrf: operator.csrf,
        instanceId,
        request: '{"intent":',
      },
      { cookie: operator.cookie },
    )
    expect(broken.status).toBe(400)
    expect(await broken.text()).toContain('The request is not valid JSON.')

    const refused = await postForm(
      gateway.url,
      '/console/playground',
      {
        _csrf: auditor.csrf,
        instanceId,
        request: JSON.stringify(request),
      },
      { cookie: auditor.cookie },
    )
    expect(refused.status).toBe(403)
  })

  test('revoking an instance and a template goes through a confirmation, records the reason, and takes effect', async () => {
    const { instanceId, templateDigest, token } = await demoInstance(harness, gateway)
    const confirm = await html(`/console/instances/${instanceId}/revoke`, operator)
    expect(confirm).toContain('This cannot be undone.')
    expect((await callJson(gateway.url, 'GET', '/v1/session', { bearer: token })).status).toBe(200)
    const tooShort = await postForm(
      gateway.url,
      `/console/instances/${instanceId}/revoke`,
      {
        _csrf: csrfOf(confirm),
        reason: 'x',
      },
      { cookie: operator.cookie },
    )
    expect(tooShort.status).toBe(400)
    const revoked = await postForm(
      gateway.url,
      `/console/instances/${instanceId}/revoke`,
      {
        _csrf: csrfOf(confirm),
        reason: 'console revoke test',
      },
      { cookie: operator.cookie },
    )
    expect(revoked.status).toBe(303)
    const instance = await callJson(gateway.url, 'GET', `/v1/admin/instances/${instanceId}`, {
      bearer: harness.keys.admin.auditor,
    })
    expect(instance.body.instance).toMatchObject({
      status: 'revoked',
      statusReason: 'console revoke test',
      statusBy: 'alice',
    })
    expect((await callJson(gateway.url, 'GET', '/v1/session', { bearer: token })).body.error?.code).toBe(
      'INSTANCE_REVOKED',
    )

    expect(await html(`/console/templates/${templateDigest}/revoke`, operator)).toContain(
      'Every instance of this template version',
    )
    const templateRevoked = await postForm(
      gateway.url,
      `/console/templates/${templateDigest}/revoke`,
      {
        _csrf: operator.csrf,
        reason: 'console template revoke test',
      },
      { cookie: operator.cookie },
    )
    expect(templateRevoked.status).toBe(303)
    const template = await callJson(gateway.url, 'GET', `/v1/admin/templates/${templateDigest}`, {
      bearer: harness.keys.admin.auditor,
    })
    expect(template.body.template).toMatchObject({
      status: 'revoked',
      statusReason: 'console template revoke test',
    })
    expect(await html('/console/templates', auditor)).toContain('console template revoke test')
  })

  test('the log explorer filters; the verify data is the log’s own bytes, checkpoint and proofs', async () => {
    const { token, instanceId } = await demoInstance(harness, gateway)
    const addresses = await fixtureAddresses()
    const approved = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
      bearer: token,
      body: await signForwardRequest({
        account: freshUser(),
        rpcUrl: anvilUrl,
        forwarder: addresses.forwarder,
        to: addresses.targets.communityPoll,
        data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [3n] }),
      }),
    })
    expect(approved.status).toBe(202)
    const index = (approved.body.attestation as { logIndex: number }).logIndex
    const listed = await html(`/console/entries?instance=${instanceId}&decision=allow`, auditor)
    expect(listed).toContain(`href="/console/entries/${index}"`)
    expect([...listed.matchAll(/href="\/console\/entries\/\d+"/g)]).toHaveLength(1)
    expect(await html(`/console/entries?instance=${instanceId}&decision=deny`, auditor)).toContain(
      'No entry matches these filters.',
    )
    // Paging is by log index: from the entry's own index on, it is the first row.
    const fromIndex = await html(`/console/entries?cursor=${index}`, auditor)
    expect(/href="\/console\/entries\/(\d+)"/.exec(fromIndex)?.[1]).toBe(String(index))
    expect(fromIndex).toContain(`in log order from entry #${index}`)
    const detail = await html(`/console/entries/${index}`, auditor)
    expect(detail).toContain('Decoded intent')
    expect(detail).toContain('0x0121b93f')
    expect(detail).toContain(`data-verify-entry="${index}"`)
    // Served disabled: its script enables it once its handler is attached, so no click is lost.
    expect(detail).toContain('<button type="button" data-verify-button="true" disabled="">Verify</button>')

    const raw = await getPage(gateway.url, `/console/api/entries/${index}/raw`, { cookie: auditor.cookie })
    expect(raw.headers.get('content-type')).toBe('application/octet-stream')
    expect(Buffer.from(await raw.arrayBuffer())).toStrictEqual(
      Buffer.from(await gateway.services.log.entry(index)),
    )
    const note = await (
      await getPage(gateway.url, '/console/api/log/checkpoint', { cookie: auditor.cookie })
    ).text()
    const size = Number(note.split('\n')[1])
    expect(size).toBe(gateway.services.log.size())
    const proof = await getPage(gateway.url, `/console/api/entries/${index}/proof?treeSize=${size}`, {
      cookie: auditor.cookie,
    })
    expect(await proof.json()).toStrictEqual({
      index,
      treeSize: size,
      proof: gateway.services.log
        .inclusionProof(index, size)
        .map((hash) => Buffer.from(hash).toString('base64')),
    })
    const badSize = await getPage(gateway.url, `/console/api/entries/${index}/proof?treeSize=${index}`, {
      cookie: auditor.cookie,
    })
    expect(badSize.status).toBe(400)
    const keys = await (
      await getPage(gateway.url, '/console/api/log/keys', { cookie: auditor.cookie })
    ).json()
    const apiKeys = await callJson(gateway.url, 'GET', '/v1/audit/keys', {
      bearer: harness.keys.admin.auditor,
    })
    expect(keys).toStrictEqual(apiKeys.body)
  })

  test('the live counters fragment shows decisions per minute and the busiest instances', async () => {
    const fragment = await html('/console/counters/live', auditor)
    expect(fragment).toContain('Decisions per minute')
    expect(fragment).toMatch(/allow none: \d+/)
    expect(fragment).toContain('Busiest instances')
    expect(fragment).toContain('chain 31337:')
  })

  test('console scripts and styles are served with their types; anything else is not', async () => {
    const script = await getPage(gateway.url, '/console/assets/verifyLogEntry.js')
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await script.text()).toContain('export async function verifyLogEntry')
    expect((await getPage(gateway.url, '/console/assets/..%2Fconsole.css')).status).toBe(404)
    expect((await getPage(gateway.url, '/console/assets/verifyLogEntry.test.ts')).status).toBe(404)
  })
})
