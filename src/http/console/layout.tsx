import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import type { IntentGateError } from '../../errors/index.js'
import type { ConsoleEnv } from './consoleEnv.js'

const sections = [
  { href: '/console', label: 'Live counters' },
  { href: '/console/entries', label: 'Log' },
  { href: '/console/templates', label: 'Templates' },
  { href: '/console/instances', label: 'Instances' },
  { href: '/console/approvals', label: 'Pending approvals' },
  { href: '/console/kill-switch', label: 'Kill switch' },
  { href: '/console/playground', label: 'Policy playground' },
] as const

/** The page frame: a skip link, the navigation, who is logged in, and one main landmark. */
export function Layout(props: {
  title: string
  session?: ConsoleSession | undefined
  current?: string
  scripts?: string[]
  children?: Child
}) {
  const { session } = props
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · intentgate console`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        {(props.scripts ?? []).map((src) => (
          <script type="module" src={src} />
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">intentgate console</span>
          {session ? (
            <nav aria-label="Console sections">
              <ul>
                {sections.map((section) => (
                  <li>
                    <a href={section.href} aria-current={props.current === section.href ? 'page' : undefined}>
                      {section.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          {session ? (
            <div class="who">
              <span>
                {session.principal.name} ({session.principal.role})
              </span>
              <form method="post" action="/console/logout">
                <CsrfField session={session} />
                <button type="submit" class="secondary">
                  Log out
                </button>
              </form>
            </div>
          ) : null}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  )
}

/** The hidden field every state-changing form carries. */
export function CsrfField(props: { session: ConsoleSession }) {
  return <input type="hidden" name="_csrf" value={props.session.csrfToken} />
}

/** A short word in a colour that also says it in text, never colour alone. */
export function Badge(props: { value: string | undefined }) {
  return props.value ? <span class={`badge ${props.value}`}>{props.value}</span> : null
}

/** Shown to auditors where operators get a form: the server refuses their changes anyway. */
export function ReadOnlyNotice(props: { session: ConsoleSession }) {
  return props.session.principal.role === 'operator' ? null : (
    <p class="notice">You are logged in as an auditor: you can see everything here and change nothing.</p>
  )
}

/** A 0x hash cut for tables; the full value stays in the title for copying. */
export function ShortHash(props: { value: string | undefined }) {
  if (!props.value) return null
  const short = props.value.length > 18 ? `${props.value.slice(0, 10)}…${props.value.slice(-6)}` : props.value
  return (
    <span class="mono" title={props.value}>
      {short}
    </span>
  )
}

/** An error as the console shows it: its stable code, what it says, and its reasons, announced at once. */
export function ErrorNotice(props: { error: IntentGateError }) {
  const { error } = props
  return (
    <>
      <p class="notice error" role="alert">
        <code>{error.code}</code>:{' '}
        {error.details ? `${error.shortMessage}: ${error.details}` : error.shortMessage}
      </p>
      {error.reasons.length > 0 ? (
        <ul>
          {error.reasons.map((reason) => (
            <li>
              <code>{reason.code}</code>: {reason.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  )
}

/** Renders a page with its doctype. */
export async function renderPage(
  c: Context<ConsoleEnv>,
  page: { toString(): string | Promise<string> },
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await page.toString()}`, status)
}
