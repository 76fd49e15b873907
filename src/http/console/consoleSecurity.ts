import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { type AdminAccess, roleAllows } from '../../auth/adminKeys.js'
import { type ConsoleSessionStore, csrfTokenMatches } from '../../auth/consoleSessions.js'
import { IntentGateError } from '../../errors/index.js'
import type { ConsoleEnv } from './consoleEnv.js'

/**
 * The console's protections, each a middleware:
 * - security headers on every console response (a strict CSP: scripts, styles and fetches only
 *   from this origin, no inline script or style, no framing);
 * - the session, read from an HttpOnly, SameSite=Strict cookie;
 * - on every change: the Origin must be this host, and the form's CSRF token must be the session's;
 * - the role: auditors read, operators read and change, checked here on the server.
 */

const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export function consoleSecurityHeaders(): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSecurityHeadersMiddleware(c, next) {
    await next()
    c.header('Content-Security-Policy', contentSecurityPolicy)
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('X-Frame-Options', 'DENY')
    c.header('Referrer-Policy', 'same-origin')
    c.header('Cross-Origin-Opener-Policy', 'same-origin')
    c.header('Cross-Origin-Resource-Policy', 'same-origin')
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()')
    c.header('Cache-Control', 'no-store')
    if (requestIsSecure(c)) c.header('Strict-Transport-Security', 'max-age=31536000')
  }
}

/**
 * Whether the browser reached us over TLS: the URL's own scheme (a TLS server), or the scheme a
 * TLS-terminating proxy reports. Trusting X-Forwarded-Proto for this is safe either way: a client
 * that lies about it only changes whether its own cookie is marked Secure.
 */
export function requestIsSecure(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/** `__Host-` binds the cookie to this exact host and path `/`, but browsers accept it only when Secure. */
function cookieName(secure: boolean): string {
  return secure ? '__Host-intentgate_console' : 'intentgate_console'
}

function cookieIsSecure(c: Context, mode: 'auto' | 'always'): boolean {
  return mode === 'always' || requestIsSecure(c)
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure behind TLS (see CONSOLE_COOKIE_SECURE). */
export function setSessionCookie(c: Context, mode: 'auto' | 'always', id: string, maxAgeSeconds: number) {
  const secure = cookieIsSecure(c, mode)
  setCookie(c, cookieName(secure), id, {
    httpOnly: true,
    secure,
    sameSite: 'Strict',
    path: secure ? '/' : '/console',
    maxAge: maxAgeSeconds,
  })
}

export function clearSessionCookie(c: Context, mode: 'auto' | 'always') {
  const secure = cookieIsSecure(c, mode)
  deleteCookie(c, cookieName(secure), { path: secure ? '/' : '/console', secure })
}

/** Reads the session named by the cookie, if any; pages decide what a missing one means. */
export function loadConsoleSession(deps: {
  sessions: ConsoleSessionStore
  cookieSecure: 'auto' | 'always'
}): MiddlewareHandler<ConsoleEnv> {
  return async function loadConsoleSessionMiddleware(c, next) {
    const id = getCookie(c, cookieName(cookieIsSecure(c, deps.cookieSecure)))
    if (id) {
      const session = await deps.sessions.get(id)
      if (session) {
        c.set('session', session)
        c.set('sessionId', id)
      }
    }
    await next()
  }
}

const safeMethods = new Set(['GET', 'HEAD'])

/**
 * Refuses a change whose Origin is not this host: a form posted from another site, or a request
 * with no Origin at all (browsers send it on every POST). Runs before the session is trusted.
 */
export function requireSameOrigin(): MiddlewareHandler<ConsoleEnv> {
  return async function requireSameOriginMiddleware(c, next) {
    if (!safeMethods.has(c.req.method)) {
      const origin = c.req.header('origin')
      let host: string | undefined
      try {
        host = origin ? new URL(origin).host : undefined
      } catch {
        host = undefined
      }
      if (!host || host !== c.req.header('host'))
        throw new IntentGateError('FORBIDDEN', 'The request did not come from this console', {
          reasons: [{ code: 'ORIGIN_MISMATCH', message: `Origin ${origin ?? '(none)'} is not this console` }],
        })
    }
    await next()
  }
}

/**
 * A logged-in user whose role allows `access`. A page asked for without a session redirects to
 * the login; a change needs the session's CSRF token in its form (checked before the role, so a
 * forged request is refused as forged whoever's cookie rode along).
 */
export function requireConsole(access: AdminAccess): MiddlewareHandler<ConsoleEnv> {
  return async function requireConsoleMiddleware(c, next) {
    const session = c.get('session')
    if (!session) {
      if (safeMethods.has(c.req.method) && !c.req.path.startsWith('/console/api/')) {
        const url = new URL(c.req.url)
        return c.redirect(`/console/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303)
      }
      throw new IntentGateError('UNAUTHENTICATED', 'Log in to the console first')
    }
    if (!safeMethods.has(c.req.method)) {
      const form = await c.req.parseBody()
      if (!csrfTokenMatches(session, form._csrf))
        throw new IntentGateError('FORBIDDEN', 'The form was not sent from this console session', {
          reasons: [
            { code: 'CSRF_TOKEN_INVALID', message: 'the CSRF token is missing or not this session’s' },
          ],
        })
    }
    if (!roleAllows(session.principal.role, access))
      throw new IntentGateError('FORBIDDEN', `Role ${session.principal.role} cannot change anything`, {
        reasons: [{ code: 'ROLE_REQUIRED', message: 'this needs the operator role' }],
      })
    await next()
  }
}

/** Only paths of the console itself, so a login link cannot send anyone elsewhere. */
export function safeNextPath(next: unknown): string {
  return typeof next === 'string' && /^\/console(?:[/?#]|$)/.test(next) && !next.includes('//')
    ? next
    : '/console'
}
