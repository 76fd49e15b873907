import { inspect } from 'node:util'

const REDACTED = '[redacted]'

/**
 * A value that must never reach a log line, an error message or a JSON answer.
 * It prints as `[redacted]` everywhere; `reveal()` is the only way to read it.
 */
export class Secret<T = string> {
  readonly #value: T

  constructor(value: T) {
    this.#value = value
  }

  reveal(): T {
    return this.#value
  }

  toString(): string {
    return REDACTED
  }

  toJSON(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}

/** Drops credentials, query and fragment from a URL so it can be logged or shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    parsed.hash = ''
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return REDACTED
  }
}
