import { expect } from 'vitest'
import { errorCatalogue } from '../../src/errors/index.js'

/**
 * Asserts a response is the documented error: JSON `{error: {code, message, ...}}` with a code from
 * the catalogue, answered with that code's status, and never a 5xx. Returns the code.
 */
export function expectDocumentedError(status: number, body: unknown): string {
  const shown = `${status} ${JSON.stringify(body).slice(0, 400)}`
  expect(status, shown).toBeLessThan(500)
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error
  expect(typeof error?.code, shown).toBe('string')
  expect(typeof error?.message, shown).toBe('string')
  const code = error?.code as keyof typeof errorCatalogue
  expect(errorCatalogue[code]?.status, shown).toBe(status)
  return code
}
