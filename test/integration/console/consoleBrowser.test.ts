import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { communityPollAbi } from '../../../src/chain/artifacts/CommunityPoll.js'
import type { RunningGateway } from '../../../src/main.js'
import { launchChromium, screenshotDir } from '../../support/browser.js'
import { signForwardRequest } from '../../support/forwardRequests.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { holdTokenApproval } from '../approvals/approvalSetup.js'
import { anvilUrl, demoInstance, fixtureAddresses, freshUser, tokenCall } from '../pipeline/metaTxSetup.js'

/**
 * The console in a real browser (Debian's Chromium, headless, driven by playwright-core) against
 * a real gateway, Redis and Anvil. Screenshots go to test-output/.
 */

const harness = createGatewayHarness()
let gateway: RunningGateway
let browser: Awaited<ReturnType<typeof launchChromium>>
let context: BrowserContext
let killed: { token: string; instanceId: string }
let spared: { token: string; instanceId: string }

async function submitVote(token: string) {
  const addresses = await fixtureAddresses()
  return callJson(gateway.url, 'POST', '/v1/meta-transactions', {
    bearer: token,
    body: await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.communityPoll,
      data: encodeFunctionData({ abi: communityPollAbi, functionName: 'vote', args: [1n] }),
    }),
  })
}

async function logIn(page: Page, key: string) {
  await page.goto(`${gateway.url}/console`)
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Log in')
  await page.getByLabel('Admin key').fill(key)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL(`${gateway.url}/console`)
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.waitForURL(`${gateway.url}/console/login`)
}

const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotDir, `console-${name}.png`), fullPage: true })

beforeAll(async () => {
  gateway = await harness.start()
  killed = await demoInstance(harness, gateway)
  spared = await demoInstance(harness, gateway)
  const addresses = await fixtureAddresses()
  // Some traffic for the log: two approvals and a denial.
  expect((await submitVote(killed.token)).status).toBe(202)
  expect((await submitVote(spared.token)).status).toBe(202)
  const denied = await callJson(gateway.url, 'POST', '/v1/meta-transactions', {
    bearer: killed.token,
    body: await signForwardRequest({
      account: freshUser(),
      rpcUrl: anvilUrl,
      forwarder: addresses.forwarder,
      to: addresses.targets.demoToken,
      data: tokenCall('mint', [freshUser().address, 1n]),
    }),
  })
  expect(denied.status).toBe(403)
  browser = await launchChromium()
  context = browser.context
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await harness.stopAll()
})

describe('the console in Chromium', () => {
  test('an auditor logs in, filters the log, opens an entry and verifies it in the browser', {
    timeout: 120_000,
  }, async () => {
    const page = await context.newPage()
    await logIn(page, harness.keys.admin.auditor)
    await expect(page.getByText('carol (auditor)').isVisible()).resolves.toBe(true)
    // The pause toggle is served disabled and enabled by its script once its handler is attached.
    const toggle = page.getByRole('button', { name: 'Pause updates' })
    await page.locator('[data-live-toggle]:enabled').waitFor()
    await toggle.click()
    await expect(
      page.getByRole('button', { name: 'Resume updates' }).getAttribute('aria-pressed'),
    ).resolves.toBe('true')
    await screenshot(page, 'counters')

    await page.getByRole('link', { name: 'Log', exact: true }).click()
    await page.getByLabel('Decision').selectOption('deny')
    await page.getByLabel('Template').fill('community-poll')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/decision=deny/)
    const rows = page.locator('main table tbody tr')
    await expect(rows.count()).resolves.toBe(1)
    await expect(rows.first().textContent()).resolves.toContain('SELECTOR_NOT_ALLOWED')
    await screenshot(page, 'log-filtered')

    await rows.first().getByRole('link').click()
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/^Log entry #\d+$/)
    await expect(page.getByRole('heading', { name: 'Decoded intent' }).isVisible()).resolves.toBe(true)
    await expect(page.locator('main').textContent()).resolves.toContain('SELECTOR_NOT_ALLOWED')

    // Served disabled; enabled once verifyButton.js has attached its handlers.
    await page.locator('[data-verify-button]:enabled').waitFor()
    await page.getByRole('button', { name: 'Verify', exact: true }).click()
    const verdict = page.locator('[data-verify-output] .verdict')
    await verdict.waitFor()
    await expect(verdict.textContent()).resolves.toMatch(
      /^Verified in this browser: entry \d+ is signed and included/,
    )
    await expect(page.locator('[data-verify-output] li').allTextContents()).resolves.toStrictEqual([
      expect.stringMatching(/^pass: checkpoint signature: /),
      expect.stringMatching(/^pass: entry signature \(DSSE\): /),
      expect.stringMatching(/^pass: inclusion proof \(RFC 6962\): /),
    ])
    await screenshot(page, 'entry-verified')

    // Pinned keys are what the browser trusts: swap the pinned attestation key for a stranger's and
    // the same entry, served by the same gateway, no longer verifies.
    await page.getByRole('button', { name: "Pin the gateway's keys in this browser" }).click()
    // The click fetches the keys first: wait for the page to say they are pinned.
    await page.locator('[data-key-source]', { hasText: 'pinned in this browser' }).waitFor()
    await page.evaluate(() => {
      // Runs in the page: its localStorage, typed here by hand (the tests compile without DOM types).
      type Storage = { getItem(key: string): string | null; setItem(key: string, value: string): void }
      const storage = (globalThis as unknown as { localStorage: Storage }).localStorage
      const item = 'intentgate.console.pinnedKeys'
      const pinned = JSON.parse(storage.getItem(item) ?? '{}')
      pinned.attestation = [{ keyid: 'stranger', publicKey: `ed25519:${btoa('x'.repeat(32))}` }]
      storage.setItem(item, JSON.stringify(pinned))
    })
    await page.getByRole('button', { name: 'Verify', exact: true }).click()
    await page.locator('[data-verify-output] .verdict-bad').waitFor()
    await expect(page.locator('[data-verify-output] li').nth(1).textContent()).resolves.toContain(
      'FAIL: entry signature (DSSE)',
    )
    await page.getByRole('button', { name: 'Forget pinned keys' }).click()
    await page.close()
  })

  test('an auditor cannot change anything: the kill switch form and a forged POST are refused', {
    timeout: 120_000,
  }, async () => {
    const page = await context.newPage()
    await page.goto(`${gateway.url}/console/kill-switch?scope=instance&target=${killed.instanceId}`)
    await expect(page.getByText('You are logged in as an auditor').isVisible()).resolves.toBe(true)
    await page.getByLabel('Reason (recorded in the log)').fill('an auditor tries')
    await page.getByRole('button', { name: 'Engage…' }).click()
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('That did not work')
    await expect(page.locator('main').textContent()).resolves.toContain('ROLE_REQUIRED')
    await screenshot(page, 'auditor-refused')

    // A POST without the CSRF token, from the console's own origin with the auditor's cookie.
    const forged = await page.evaluate(async (instanceId) => {
      const body = new URLSearchParams({ scope: 'instance', target: instanceId, reason: 'forged' })
      const response = await fetch('/console/kill-switch', { method: 'POST', body })
      return { status: response.status, text: await response.text() }
    }, killed.instanceId)
    expect(forged.status).toBe(403)
    expect(forged.text).toContain('CSRF_TOKEN_INVALID')
    const listed = await callJson(gateway.url, 'GET', '/v1/admin/kill-switch', {
      bearer: harness.keys.admin.auditor,
    })
    expect(listed.body.engaged).toStrictEqual([])

    await logOut(page)
    await page.close()
  })

  test('an operator flips the kill switch for an instance, and its next request is denied with KILL_SWITCH', {
    timeout: 120_000,
  }, async () => {
    const page = await context.newPage()
    await logIn(page, harness.keys.admin.operator)
    await page.getByRole('link', { name: 'Instances' }).click()
    await page.getByRole('link', { name: `Kill switch for ${killed.instanceId}` }).click()
    await expect(page.getByLabel('Scope').inputValue()).resolves.toBe('instance')
    await expect(page.getByLabel(/^Target/).inputValue()).resolves.toBe(killed.instanceId)
    await page.getByLabel('Reason (recorded in the log)').fill('console test: suspected abuse')
    await page.getByRole('button', { name: 'Engage…' }).click()
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Engage the kill switch?',
    )
    await screenshot(page, 'kill-switch-confirm')
    await page.getByRole('button', { name: 'Engage the kill switch' }).click()
    await page.waitForURL(`${gateway.url}/console/kill-switch`)
    await expect(page.locator('main table').textContent()).resolves.toContain('console test: suspected abuse')
    await screenshot(page, 'kill-switch-engaged')

    const refused = await submitVote(killed.token)
    expect(refused.status).toBe(403)
    expect(refused.body.error?.code).toBe('KILL_SWITCH')
    // Only that instance.
    expect((await submitVote(spared.token)).status).toBe(202)

    await page.getByRole('button', { name: `Release… instance ${killed.instanceId}` }).click()
    await page.getByRole('button', { name: 'Release the kill switch' }).click()
    await page.waitForURL(`${gateway.url}/console/kill-switch`)
    await expect(page.getByText('No switch is engaged.').isVisible()).resolves.toBe(true)
    await page.close()
  })

  test('an operator approves a held meta-transaction behind a confirmation and sees it approved; an auditor cannot', {
    timeout: 120_000,
  }, async () => {
    // alice created the instance, so she submitted the request; one approval (bob's) is enough.
    const held = await holdTokenApproval(harness, gateway, 1)
    await context.clearCookies()
    const page = await context.newPage()
    const heading = () => page.getByRole('heading', { level: 1 }).textContent()

    await logIn(page, harness.keys.admin.auditor)
    await page.getByRole('link', { name: 'Pending approvals' }).click()
    const row = page.locator('main table tbody tr', { hasText: held.instanceId })
    await expect(row.textContent()).resolves.toContain('0 of 1')
    await screenshot(page, 'approvals-pending')
    await row.getByRole('link').click()
    await expect(heading()).resolves.toBe('Held request')
    await expect(
      page.getByRole('table', { name: 'Calls, nested ones included' }).textContent(),
    ).resolves.toContain(`erc20 approve(amount=11, spender=${held.spender})`)
    await expect(page.getByRole('link', { name: 'Approve…' }).count()).resolves.toBe(0)
    await screenshot(page, 'approval-auditor')
    // With the auditor's own session and CSRF token, the server still refuses the change.
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue()
    const attempt = await page.evaluate(
      async ({ id, token }) => {
        const body = new URLSearchParams({ _csrf: token })
        const response = await fetch(`/console/approvals/${id}/approve`, { method: 'POST', body })
        return { status: response.status, text: await response.text() }
      },
      { id: held.id, token: csrf },
    )
    expect(attempt.status).toBe(403)
    expect(attempt.text).toContain('ROLE_REQUIRED')
    await logOut(page)

    // The submitter is refused by the backend's rule, and the page says so.
    await logIn(page, harness.keys.admin.operator)
    await page.goto(`${gateway.url}/console/approvals/${held.id}`)
    await page.getByRole('link', { name: 'Approve…' }).click()
    await page.getByRole('button', { name: 'Approve', exact: true }).click()
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^APPROVER_IS_SUBMITTER: /)
    await screenshot(page, 'approval-submitter-refused')
    await logOut(page)

    await logIn(page, harness.keys.admin.operator2)
    await page.getByRole('link', { name: 'Pending approvals' }).click()
    await row.getByRole('link').click()
    await page.getByRole('link', { name: 'Approve…' }).click()
    await expect(heading()).resolves.toBe('Approve this request?')
    await expect(page.locator('main .notice').first().textContent()).resolves.toBe(
      'Yours would be approval 1 of 1: the request is sent on at once, and cannot be called back.',
    )
    await screenshot(page, 'approval-confirm')
    await page.getByRole('button', { name: 'Approve', exact: true }).click()
    await page.waitForURL(`${gateway.url}/console/approvals/${held.id}?outcome=counted`)
    await expect(page.getByRole('status').textContent()).resolves.toMatch(
      /^Approved: 1 of 1 operators\. The request was sent on/,
    )
    await expect(page.locator('dl.facts .badge').first().textContent()).resolves.toBe('approved')
    await screenshot(page, 'approval-approved')
    const approval = await callJson(gateway.url, 'GET', `/v1/admin/approvals/${held.id}`, {
      bearer: harness.keys.admin.auditor,
    })
    expect(approval.body.approval).toMatchObject({ status: 'approved', approvals: [{ by: 'bob' }] })
    await page.close()
  })
})
