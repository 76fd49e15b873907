import { describe, expect, test } from 'vitest'
import { csrfTokenMatches } from '../../auth/consoleSessions.js'
import { safeNextPath } from './consoleSecurity.js'

describe('safeNextPath', () => {
  test('keeps console paths and sends anything else to the console home', () => {
    expect(safeNextPath('/console/entries?decision=deny')).toBe('/console/entries?decision=deny')
    expect(safeNextPath('/console')).toBe('/console')
    for (const next of [
      'https://evil.example/',
      '//evil.example/console',
      '/consolex',
      '/console//evil',
      '/v1/admin',
      5,
      undefined,
    ])
      expect(safeNextPath(next), String(next)).toBe('/console')
  })
})

describe('csrfTokenMatches', () => {
  const session = {
    principal: { name: 'alice', role: 'operator' as const },
    csrfToken: 'a'.repeat(43),
    createdAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-01T08:00:00.000Z',
  }
  test('only the session’s own token, in its exact shape, matches', () => {
    expect(csrfTokenMatches(session, 'a'.repeat(43))).toBe(true)
    expect(csrfTokenMatches(session, 'b'.repeat(43))).toBe(false)
    expect(csrfTokenMatches(session, 'a'.repeat(42))).toBe(false)
    expect(csrfTokenMatches(session, undefined)).toBe(false)
    expect(csrfTokenMatches(session, ['a'.repeat(43)])).toBe(false)
  })
})
