import type { Child } from 'hono/jsx'
import type { ConsoleSession } from '../../auth/consoleSessions.js'
import { CsrfField, Layout } from './layout.js'

/**
 * A confirmation step before a change: what is about to happen and what follows from it, an
 * optional required reason, and the one button that does it, posted with the session's CSRF token.
 */
export function ConfirmChange(props: {
  session: ConsoleSession
  title: string
  current?: string
  /** What follows from the change, said before anything else. */
  consequence: string
  /** The button's class: `danger` for what cannot be undone. */
  tone?: 'danger'
  /** The label of a required reason field, recorded in the log; no field when absent. */
  reasonLabel?: string
  button: string
  action: string
  back: string
  children?: Child
}) {
  return (
    <Layout title={props.title} session={props.session} current={props.current}>
      <p class={props.tone === 'danger' ? 'notice error' : 'notice'}>{props.consequence}</p>
      {props.children}
      <form method="post" action={props.action} class="stack">
        <CsrfField session={props.session} />
        {props.reasonLabel ? (
          <label>
            {props.reasonLabel}
            <textarea name="reason" rows={3} required minlength={3} maxlength={500} />
          </label>
        ) : null}
        <div class="actions">
          <button type="submit" class={props.tone}>
            {props.button}
          </button>
          <a href={props.back}>Cancel</a>
        </div>
      </form>
    </Layout>
  )
}
