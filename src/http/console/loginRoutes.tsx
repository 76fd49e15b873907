import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { IntentGateError } from '../../errors/index.js'
import type { ConsoleDeps, ConsoleEnv } from './consoleEnv.js'
import { clearSessionCookie, requireConsole, safeNextPath, setSessionCookie } from './consoleSecurity.js'
import { Layout, renderPage } from './layout.js'

type Deps = Pick<ConsoleDeps, 'verifyAdminKey' | 'sessions' | 'loginLimiter' | 'cookieSecure'>

function LoginPage(props: { next: string; problem?: string }) {
  return (
    <Layout title="Log in">
      <form method="post" action="/console/login" class="stack">
        {props.problem ? (
          <p class="notice error" role="alert">
            {props.problem}
          </p>
        ) : null}
        <p>Log in with an admin key (igk_…). Auditors see everything; operators can also change things.</p>
        <label>
          Admin key
          <input
            type="password"
            name="key"
            autocomplete="current-password"
            required
            spellcheck={false}
            autofocus
          />
        </label>
        <input type="hidden" name="next" value={props.next} />
        <div>
          <button type="submit">Log in</button>
        </div>
      </form>
    </Layout>
  )
}

/** The peer address, for the login limit. Behind a proxy every client shares the proxy's. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * GET /console/login, POST /console/login (an admin key becomes a session in Redis and an
 * HttpOnly cookie; attempts are limited per client address), POST /console/logout.
 */
export function loginRoutes(deps: Deps & { sessionTtlSeconds: number }) {
  return new Hono<ConsoleEnv>()
    .get('/console/login', async (c) => {
      const next = safeNextPath(c.req.query('next'))
      if (c.get('session')) return c.redirect(next, 303)
      return renderPage(c, <LoginPage next={next} />)
    })
    .post('/console/login', async (c) => {
      const form = await c.req.parseBody()
      const next = safeNextPath(form.next)
      const limit = await deps.loginLimiter.attempt(clientAddress(c))
      if (!limit.allowed) {
        c.header('Retry-After', String(limit.retryAfterSeconds))
        throw new IntentGateError('RATE_LIMITED', 'Too many login attempts from this address', {
          details: `try again in ${Math.ceil(limit.retryAfterSeconds / 60)} minutes`,
        })
      }
      const verified = deps.verifyAdminKey(typeof form.key === 'string' ? form.key.trim() : undefined)
      if (!verified.ok) {
        // One message for every failure: which keys exist is nobody's business.
        return renderPage(c, <LoginPage next={next} problem="That admin key is not accepted." />, 401)
      }
      const previous = c.get('sessionId')
      if (previous) await deps.sessions.destroy(previous)
      const { id } = await deps.sessions.create(verified.principal)
      setSessionCookie(c, deps.cookieSecure, id, deps.sessionTtlSeconds)
      c.get('log').info({ actor: verified.principal.name, role: verified.principal.role }, 'console login')
      return c.redirect(next, 303)
    })
    .post('/console/logout', requireConsole('read'), async (c) => {
      const id = c.get('sessionId')
      if (id) await deps.sessions.destroy(id)
      clearSessionCookie(c, deps.cookieSecure)
      return c.redirect('/console/login', 303)
    })
}
