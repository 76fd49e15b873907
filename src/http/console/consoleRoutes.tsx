import { readFile } from 'node:fs/promises'
import { type Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { classifyError, IntentGateError } from '../../errors/index.js'
import { approvalRoutes } from './approvalRoutes.js'
import type { ConsoleDeps, ConsoleEnv } from './consoleEnv.js'
import { consoleSecurityHeaders, loadConsoleSession, requireSameOrigin } from './consoleSecurity.js'
import { countersRoutes } from './countersRoutes.js'
import { killSwitchRoutes } from './killSwitchRoutes.js'
import { ErrorNotice, Layout, renderPage } from './layout.js'
import { loginRoutes } from './loginRoutes.js'
import { logRoutes } from './logRoutes.js'
import { playgroundRoutes } from './playgroundRoutes.js'
import { registryRoutes } from './registryRoutes.js'
import { verifyDataRoutes } from './verifyDataRoutes.js'

/** The console's static files: a stylesheet and the scripts, all written by hand, nothing bundled. */
const assets: Record<string, string> = {
  'console.css': 'text/css; charset=utf-8',
  'verifyLogEntry.js': 'text/javascript; charset=utf-8',
  'verifyButton.js': 'text/javascript; charset=utf-8',
  'liveCounters.js': 'text/javascript; charset=utf-8',
}

function assetRoutes() {
  const loaded = new Map<string, Promise<string>>()
  const load = (name: string) => {
    let text = loaded.get(name)
    if (!text) {
      text = readFile(new URL(`./assets/${name}`, import.meta.url), 'utf8')
      loaded.set(name, text)
    }
    return text
  }
  return new Hono<ConsoleEnv>().get('/console/assets/:name', async (c) => {
    const name = c.req.param('name')
    const type = assets[name]
    if (!type) throw new IntentGateError('NOT_FOUND', 'No such console asset', { details: name })
    return c.body(await load(name), 200, { 'Content-Type': type })
  })
}

/** Errors on console pages are pages too, with the same stable code the API would give. */
async function consoleError(error: Error, c: Context<ConsoleEnv>): Promise<Response> {
  const classified = classifyError(error)
  if (classified.status >= 500)
    c.get('log')?.error({ err: error, code: classified.code }, classified.shortMessage)
  return renderPage(
    c,
    <Layout title="That did not work" session={c.get('session')}>
      <ErrorNotice error={classified} />
      <p>
        Request id <span class="mono">{c.get('requestId') ?? ''}</span>.{' '}
        <a href="/console">Back to the console</a>
      </p>
    </Layout>,
    classified.status as ContentfulStatusCode,
  )
}

/**
 * Mounts the operator and security console at /console: server-rendered pages (hono/jsx), a few
 * hand-written scripts, session login with the admin keys, and the same domain services and
 * admin actions as the API.
 */
export function mountConsole<Env extends object>(
  app: Hono<Env>,
  deps: ConsoleDeps & { sessionTtlSeconds: number },
): void {
  const pages = new Hono<ConsoleEnv>()
  pages.use('/console/*', consoleSecurityHeaders(), requireSameOrigin(), loadConsoleSession(deps))
  pages.use('/console', consoleSecurityHeaders(), loadConsoleSession(deps))
  pages.onError(consoleError)
  pages.route('/', assetRoutes())
  pages.route('/', loginRoutes(deps))
  pages.route('/', countersRoutes(deps))
  pages.route('/', logRoutes(deps))
  pages.route('/', verifyDataRoutes(deps))
  pages.route('/', registryRoutes(deps))
  pages.route('/', approvalRoutes(deps))
  pages.route('/', killSwitchRoutes(deps))
  pages.route('/', playgroundRoutes(deps))
  app.route('/', pages)
}
