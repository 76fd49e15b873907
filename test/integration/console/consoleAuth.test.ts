import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunningGateway } from '../../../src/main.js'
import { consoleLogin, getPage, postForm } from '../../support/consoleClient.js'
import { callJson, createGatewayHarness } from '../../support/gatewayHarness.js'
import { openRedis } from '../../support/redisClient.js'
import { demoInstance } from '../pipeline/metaTxSetup.js'

const harness = createGatewayHarness()
let gateway: RunningGateway

beforeAll(async () => {
  gateway = await harness.start({ CONSOLE_LOGIN_ATTEMPTS: '50', CONSOLE_SESSION_TTL_SECONDS: '600' })
})
afterAll(() => harness.stopAll())

async function engaged(): Promise<{ scope: string; target?: string; reason: string; by: string }[]> {
  const listed = await callJson(gateway.url, 'GET', '/v1/admin/kill-switch', {
    bearer: harness.keys.admin.auditor,
  })
  return listed.body.engaged as { scope: string; target?: string; reason: string; by: string }[]
}

describe('console login and session', () => {
  test('pages need a session: a visitor is sent to the login, with where they were going', async () => {
    const response = await getPage(gateway.url, '/console/entries?decision=deny')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(
      '/console/login?next=%2Fconsole%2Fentries%3Fdecision%3Ddeny',
    )
    expect((await getPage(gateway.url, '/console/api/log/keys')).status).toBe(401)
  })

  test('console pages carry a strict CSP and the other security headers', async () => {
    const response = await getPage(gateway.url, '/console/login')
    expect(response.status).toBe(200)
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const html = await response.text()
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true)
    expect(html).toContain('<main id="main">')
    expect(html).toMatch(/<label>Admin key<input type="password" name="key"/)
  })

  test('a login sets an HttpOnly SameSite=Strict cookie; the session is in Redis under a hash, with its expiry', async () => {
    const { response, session } = await consoleLogin(gateway.url, harness.keys.admin.auditor)
    expect(response.status).toBe(303)
    const cookie = response.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^intentgate_console=[A-Za-z0-9_-]{43};/)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/console')
    expect(cookie).not.toContain('Secure')
    const id = session?.cookie.split('=')[1] ?? ''
    const { redis } = await openRedis()
    try {
      const key = `${harness.keyPrefix}console:session:${createHash('sha256').update(id).digest('hex')}`
      const ttl = await redis.ttl(key)
      expect(ttl).toBeGreaterThan(590)
      expect(ttl).toBeLessThanOrEqual(600)
      const stored = await redis.get(key)
      expect(JSON.parse(stored ?? '{}').principal).toStrictEqual({ name: 'carol', role: 'auditor' })
      expect(stored).not.toContain(id)
      expect(stored).not.toContain(harness.keys.admin.auditor)
    } finally {
      redis.disconnect()
    }
  })

  test('behind TLS (X-Forwarded-Proto: https) the cookie is Secure and __Host- bound', async () => {
    const https = { 'x-forwarded-proto': 'https' }
    const { response, session } = await consoleLogin(gateway.url, harness.keys.admin.auditor, https)
    const cookie = response.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^__Host-intentgate_console=/)
    expect(cookie).toContain('Secure')
    expect(cookie).toContain('Path=/;')
    expect(session).toBeDefined()
    expect((await getPage(gateway.url, '/console', { cookie: session?.cookie, headers: https })).status).toBe(
      200,
    )
    // The Secure cookie is not accepted on a plain request, as a browser would not send it there.
    expect((await getPage(gateway.url, '/console', { cookie: session?.cookie })).status).toBe(303)
  })

  test('a wrong key, a login from another site, and a login without Origin are refused', async () => {
    const wrong = await postForm(gateway.url, '/console/login', { key: `igk_${'A'.repeat(43)}` })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    expect(await wrong.text()).toContain('That admin key is not accepted.')
    const crossSite = await postForm(
      gateway.url,
      '/console/login',
      { key: harness.keys.admin.operator },
      {
        origin: 'https://evil.example',
      },
    )
    expect(crossSite.status).toBe(403)
    expect(await crossSite.text()).toContain('ORIGIN_MISMATCH')
    const noOrigin = await postForm(
      gateway.url,
      '/console/login',
      { key: harness.keys.admin.operator },
      {
        origin: null,
      },
    )
    expect(noOrigin.status).toBe(403)
  })

  test('logout ends the session in Redis: the old cookie no longer works', async () => {
    const { session } = await consoleLogin(gateway.url, harness.keys.admin.operator)
    if (!session) throw new Error('login failed')
    expect((await getPage(gateway.url, '/console', { cookie: session.cookie })).status).toBe(200)
    const out = await postForm(
      gateway.url,
      '/console/logout',
      { _csrf: session.csrf },
      { cookie: session.cookie },
    )
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
    expect((await getPage(gateway.url, '/console', { cookie: session.cookie })).status).toBe(303)
  })

  test('login attempts are limited per client address, with Retry-After', async () => {
    const limited = createGatewayHarness()
    try {
      const small = await limited.start({ CONSOLE_LOGIN_ATTEMPTS: '3' })
      for (let attempt = 0; attempt < 3; attempt++)
        expect((await postForm(small.url, '/console/login', { key: 'nope' })).status).toBe(401)
      const refused = await postForm(small.url, '/console/login', { key: limited.keys.admin.operator })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await refused.text()).toContain('RATE_LIMITED')
    } finally {
      await limited.stopAll()
    }
  })
})

describe('roles and CSRF, enforced on the server', () => {
  test('an auditor sees every page and changes nothing: the form is refused with ROLE_REQUIRED', async () => {
    const { instanceId } = await demoInstance(harness, gateway)
    const { session } = await consoleLogin(gateway.url, harness.keys.admin.auditor)
    if (!session) throw new Error('login failed')
    for (const path of [
      '/console',
      '/console/entries',
      '/console/templates',
      '/console/instances',
      '/console/kill-switch',
      '/console/playground',
    ])
      expect((await getPage(gateway.url, path, { cookie: session.cookie })).status, path).toBe(200)
    const fields = { _csrf: session.csrf, scope: 'instance', target: instanceId, reason: 'auditor tries' }
    const refused = await postForm(gateway.url, '/console/kill-switch', fields, { cookie: session.cookie })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('ROLE_REQUIRED')
    const revoke = await postForm(
      gateway.url,
      `/console/instances/${instanceId}/revoke`,
      {
        _csrf: session.csrf,
        reason: 'auditor tries',
      },
      { cookie: session.cookie },
    )
    expect(revoke.status).toBe(403)
    expect(
      (await getPage(gateway.url, `/console/instances/${instanceId}/revoke`, { cookie: session.cookie }))
        .status,
    ).toBe(403)
    expect(await engaged()).toStrictEqual([])
    const instance = await callJson(gateway.url, 'GET', `/v1/admin/instances/${instanceId}`, {
      bearer: harness.keys.admin.auditor,
    })
    expect((instance.body.instance as { status: string }).status).toBe('active')
  })

  test('a forged POST (no CSRF token, another session’s token, another Origin) changes nothing, whoever’s cookie rides along', async () => {
    const { instanceId } = await demoInstance(harness, gateway)
    const operator = (await consoleLogin(gateway.url, harness.keys.admin.operator)).session
    const other = (await consoleLogin(gateway.url, harness.keys.admin.operator2)).session
    const auditor = (await consoleLogin(gateway.url, harness.keys.admin.auditor)).session
    if (!operator || !other || !auditor) throw new Error('login failed')
    const fields = { scope: 'instance', target: instanceId, reason: 'forged' }
    for (const [session, csrf] of [
      [auditor, undefined],
      [operator, undefined],
      [operator, other.csrf],
      [operator, 'x'.repeat(43)],
    ] as const) {
      const forged = await postForm(
        gateway.url,
        '/console/kill-switch',
        { ...fields, ...(csrf ? { _csrf: csrf } : {}) },
        {
          cookie: session.cookie,
        },
      )
      expect(forged.status).toBe(403)
      expect(await forged.text()).toContain('CSRF_TOKEN_INVALID')
    }
    const crossSite = await postForm(
      gateway.url,
      '/console/kill-switch',
      { ...fields, _csrf: operator.csrf },
      {
        cookie: operator.cookie,
        origin: 'https://evil.example',
      },
    )
    expect(crossSite.status).toBe(403)
    expect(await engaged()).toStrictEqual([])

    // The same form, sent properly by the operator, works, and the reason is recorded.
    const done = await postForm(
      gateway.url,
      '/console/kill-switch',
      { ...fields, _csrf: operator.csrf },
      {
        cookie: operator.cookie,
      },
    )
    expect(done.status).toBe(303)
    expect(await engaged()).toMatchObject([
      { scope: 'instance', target: instanceId, reason: 'forged', by: 'alice' },
    ])
    const release = await postForm(
      gateway.url,
      '/console/kill-switch/release',
      {
        scope: 'instance',
        target: instanceId,
        _csrf: operator.csrf,
      },
      { cookie: operator.cookie },
    )
    expect(release.status).toBe(303)
    expect(await engaged()).toStrictEqual([])
    const actions = await callJson(gateway.url, 'GET', '/v1/audit/entries?kind=admin-action', {
      bearer: harness.keys.admin.auditor,
    })
    const logged = (actions.body.entries as { action: string; actor: string; target: string }[]).filter(
      (entry) => entry.target === `instance:${instanceId}`,
    )
    expect(logged.map((entry) => [entry.action, entry.actor])).toStrictEqual([
      ['kill-switch.engage', 'alice'],
      ['kill-switch.release', 'alice'],
    ])
  })
})
