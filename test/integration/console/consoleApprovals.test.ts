import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunningGateway } from '../../../src/main.js'
import { type ConsoleHttpSession, consoleLogin, getPage, postForm } from '../../support/consoleClient.js'
import { callJson } from '../../support/gatewayHarness.js'
import { fundedRelayerKeys, relayEnv, waitForStatus } from '../../support/relayHarness.js'
import { createApprovalHarness, holdTokenApproval } from '../approvals/approvalSetup.js'
import { anvilUrl } from '../pipeline/metaTxSetup.js'

/**
 * The console's Pending approvals pages over HTTP, against a real gateway, Redis and Anvil. alice,
 * bob and dave are operators, carol an auditor; alice creates the instances, so she submitted
 * every held request and may never approve one.
 */

const { harness, env, people } = createApprovalHarness()
let gateway: RunningGateway
const sessions: Record<'alice' | 'bob' | 'carol' | 'dave', ConsoleHttpSession> = {} as never

beforeAll(async () => {
  const { keys } = await fundedRelayerKeys(anvilUrl, 1)
  gateway = await harness.start({ ...env, ...relayEnv(keys) })
  for (const name of ['alice', 'bob', 'carol', 'dave'] as const) {
    const { session } = await consoleLogin(gateway.url, people[name])
    if (!session) throw new Error(`${name} could not log in`)
    sessions[name] = session
  }
}, 120_000)
afterAll(() => harness.stopAll())

const page = async (path: string, as: ConsoleHttpSession, status = 200) => {
  const response = await getPage(gateway.url, path, { cookie: as.cookie })
  expect(response.status, path).toBe(status)
  return response.text()
}

const post = (path: string, as: ConsoleHttpSession, fields: Record<string, string> = {}) =>
  postForm(gateway.url, path, { _csrf: as.csrf, ...fields }, { cookie: as.cookie })

const approvalOf = async (id: string) =>
  (await callJson(gateway.url, 'GET', `/v1/admin/approvals/${id}`, { bearer: people.carol })).body
    .approval as { status: string; requestStatus: string; approvals: { by: string }[] }

describe('the Pending approvals pages', () => {
  test('list what waits and show a request’s decoded intent and reasons; auditors only read', async () => {
    const { id, instanceId, user, spender } = await holdTokenApproval(harness, gateway)

    const list = await page('/console/approvals', sessions.carol)
    expect(list).toContain('<a href="/console/approvals" aria-current="page">Pending approvals</a>')
    expect(list).toContain('<caption>Requests waiting for operator approval, soonest expiry first</caption>')
    // The row's cells after the one holding the link.
    const row = list.slice(list.indexOf(`href="/console/approvals/${id}"`))
    const cells = [...row.slice(0, row.indexOf('</tr>')).matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
      cell[1]?.replace(/<[^>]+>/g, ''),
    )
    expect(cells.slice(0, 5)).toStrictEqual([
      'meta-tx',
      'community-poll',
      instanceId,
      expect.stringMatching(/^0x[0-9a-fA-F]{8}…/),
      '0 of 2',
    ])
    expect(cells[5]).toContain('approve amounts total 11')
    expect(Date.parse(String(cells[6]))).toBeGreaterThan(Date.now())

    const detail = await page(`/console/approvals/${id}`, sessions.carol)
    expect(detail).toContain('You are logged in as an auditor')
    expect(detail).toContain(user.address)
    expect(detail).toContain('<h2>Decoded intent</h2>')
    expect(detail).toContain(`0x095ea7b3: erc20 approve(amount=11, spender=${spender})`)
    expect(detail).toContain('<code>APPROVAL_REQUIRED</code>: ')
    expect(detail).toContain('alice (obtained a token of the instance that sent it)')
    expect(detail).not.toContain('Approve…')
    // The held decision's log entry leads back here.
    const logIndex = /href="\/console\/entries\/(\d+)">log entry #/.exec(detail)?.[1]
    expect(await page(`/console/entries/${logIndex}`, sessions.carol)).toContain(
      `<a href="/console/approvals/${id}">The request&#39;s approval page</a>`,
    )

    // The confirmation and the change itself are the operators': refused to an auditor, on the server.
    expect(await page(`/console/approvals/${id}/approve`, sessions.carol, 403)).toContain('ROLE_REQUIRED')
    const byAuditor = await post(`/console/approvals/${id}/approve`, sessions.carol)
    expect(byAuditor.status).toBe(403)
    expect(await byAuditor.text()).toContain('ROLE_REQUIRED')
    const rejectedByAuditor = await post(`/console/approvals/${id}/reject`, sessions.carol, {
      reason: 'an auditor tries',
    })
    expect(rejectedByAuditor.status).toBe(403)
    // An operator's cookie without the session's CSRF token is refused as forged.
    const forged = await postForm(
      gateway.url,
      `/console/approvals/${id}/approve`,
      {},
      {
        cookie: sessions.bob.cookie,
      },
    )
    expect(forged.status).toBe(403)
    expect(await forged.text()).toContain('CSRF_TOKEN_INVALID')
    expect(await approvalOf(id)).toMatchObject({ status: 'pending', approvals: [] })
  })

  test('operators approve behind a confirmation; the k-th sends it on; the backend’s refusals are shown', {
    timeout: 120_000,
  }, async () => {
    const { id, token } = await holdTokenApproval(harness, gateway)

    const forAlice = await page(`/console/approvals/${id}`, sessions.alice)
    expect(forAlice).toContain('the gateway does not count your approval, but you may reject it')
    expect(forAlice).toContain(`<a href="/console/approvals/${id}/approve">Approve…</a>`)
    const confirm = await page(`/console/approvals/${id}/approve`, sessions.alice)
    expect(confirm).toContain(
      'You obtained a token of the instance that sent this request: the gateway refuses',
    )
    expect(confirm).toContain(`action="/console/approvals/${id}/approve"`)
    expect(confirm).toContain('erc20 approve(')

    expect(await page(`/console/approvals/${id}/approve`, sessions.bob)).toContain(
      'Yours would be approval 1 of 2: the request keeps waiting for 1 more.',
    )
    const bySubmitter = await post(`/console/approvals/${id}/approve`, sessions.alice)
    expect(bySubmitter.status).toBe(403)
    const refusal = await bySubmitter.text()
    expect(refusal).toContain('<p class="notice error" role="alert"><code>APPROVER_IS_SUBMITTER</code>: ')
    expect(refusal).toContain('0 of 2 required')

    const byBob = await post(`/console/approvals/${id}/approve`, sessions.bob)
    expect(byBob.status).toBe(303)
    expect(byBob.headers.get('location')).toBe(`/console/approvals/${id}?outcome=counted`)
    const counted = await page(`/console/approvals/${id}?outcome=counted`, sessions.bob)
    expect(counted).toContain(
      '<div role="status" aria-live="polite"><p class="notice">Your approval was counted: 1 of 2.',
    )
    expect(counted).toContain('Your approval is counted; 1 more needed.')
    expect(counted).toMatch(/<li>bob at <time datetime="[^"]+">/)
    expect(await page(`/console/approvals/${id}/approve`, sessions.bob)).toContain(
      'Your approval is already counted: approving again counts nothing.',
    )
    const again = await post(`/console/approvals/${id}/approve`, sessions.bob)
    expect(again.headers.get('location')).toBe(`/console/approvals/${id}?outcome=already-counted`)

    expect(await page(`/console/approvals/${id}/approve`, sessions.dave)).toContain(
      'Yours would be approval 2 of 2: the request is sent on at once',
    )
    const byDave = await post(`/console/approvals/${id}/approve`, sessions.dave)
    expect(byDave.status).toBe(303)
    const approved = await page(`/console/approvals/${id}?outcome=counted`, sessions.dave)
    expect(approved).toContain('Approved: 2 of 2 operators. The request was sent on')
    expect(approved).toContain('<span class="badge approved">approved</span>')
    expect(approved).not.toContain('Approve…')
    expect(await approvalOf(id)).toMatchObject({
      status: 'approved',
      approvals: [{ by: 'bob' }, { by: 'dave' }],
    })
    expect(await page('/console/approvals', sessions.carol)).not.toContain(`/console/approvals/${id}"`)
    // Nothing left to confirm: the confirmation pages send you to the request's page.
    const confirmLate = await getPage(gateway.url, `/console/approvals/${id}/reject`, {
      cookie: sessions.bob.cookie,
    })
    expect(confirmLate.status).toBe(303)
    expect(confirmLate.headers.get('location')).toBe(`/console/approvals/${id}`)

    // No longer pending: the backend's 409, on the request's page.
    const late = await post(`/console/approvals/${id}/reject`, sessions.bob, { reason: 'too late now' })
    expect(late.status).toBe(409)
    expect(await late.text()).toContain('<code>APPROVAL_NOT_PENDING</code>: ')
    expect((await waitForStatus(gateway.url, token, id, ['confirmed', 'reverted', 'failed'])).status).toBe(
      'confirmed',
    )
  })

  test('rejecting needs a reason, ends the request at once, and shows who rejected it and why', async () => {
    const { id } = await holdTokenApproval(harness, gateway)
    const confirm = await page(`/console/approvals/${id}/reject`, sessions.bob)
    expect(confirm).toContain('One rejection ends it')
    expect(confirm).toContain('<textarea name="reason" rows="3" required="" minlength="3" maxlength="500">')

    const tooShort = await post(`/console/approvals/${id}/reject`, sessions.bob, { reason: 'x' })
    expect(tooShort.status).toBe(400)
    const rejected = await post(`/console/approvals/${id}/reject`, sessions.bob, {
      reason: 'console rejection test',
    })
    expect(rejected.headers.get('location')).toBe(`/console/approvals/${id}?outcome=rejected`)
    const shown = await page(`/console/approvals/${id}?outcome=rejected`, sessions.carol)
    expect(shown).toContain('Rejected: the request is cancelled and its reservation given back.')
    expect(shown).toContain('<code>APPROVAL_REJECTED</code>: rejected by bob: console rejection test')
    expect(await approvalOf(id)).toMatchObject({ status: 'rejected', requestStatus: 'cancelled' })

    expect(await page(`/console/approvals/0x${'ab'.repeat(32)}`, sessions.carol, 404)).toContain(
      'REQUEST_NOT_FOUND',
    )
    expect(await page('/console/approvals/not-an-id', sessions.carol, 400)).toContain('INVALID_REQUEST')
    expect(await page(`/console/approvals/${id}?outcome=forged`, sessions.carol, 400)).toContain(
      'INVALID_REQUEST',
    )
  })
})
