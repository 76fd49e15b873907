import { describe, expect, test } from 'vitest'
import { IntentGateError } from './baseError.js'
import { classifyError } from './classifyError.js'
import { errorCatalogue } from './codes.js'

describe('IntentGateError', () => {
  test('takes its status from the catalogue and keeps reasons and details', () => {
    const error = new IntentGateError('PAYLOAD_TOO_LARGE', 'Request body too large', {
      details: 'limit is 10 bytes',
      reasons: [{ code: 'BODY', message: 'too big' }],
    })
    expect(error.status).toBe(413)
    expect(error.message).toBe('Request body too large: limit is 10 bytes')
    expect(error.reasons).toStrictEqual([{ code: 'BODY', message: 'too big' }])
  })

  test('walk returns the deepest cause, or the first that matches', () => {
    const root = new TypeError('root')
    const middle = new Error('middle', { cause: root })
    const error = new IntentGateError('INTERNAL_ERROR', 'Internal error', { cause: middle })
    expect(error.walk()).toBe(root)
    expect(error.walk((e) => e === middle)).toBe(middle)
    expect(error.walk((e) => e instanceof RangeError)).toBeUndefined()
  })

  test('every catalogued status is a client error, 503, the 500 reserved for bugs, or the 202 of a hold', () => {
    for (const [code, { status }] of Object.entries(errorCatalogue)) {
      // APPROVAL_REQUIRED is not a failure: the request waits, as the 202 of a held meta-transaction says.
      const held = code === 'APPROVAL_REQUIRED' && status === 202
      const allowed = (status >= 400 && status < 500) || status === 503 || code === 'INTERNAL_ERROR' || held
      expect({ code, allowed }).toStrictEqual({ code, allowed: true })
    }
  })
})

describe('classifyError', () => {
  test('keeps an IntentGateError as it is', () => {
    const error = new IntentGateError('FORBIDDEN', 'no')
    expect(classifyError(error)).toBe(error)
  })

  test('maps connection failures, however deep, to DEPENDENCY_UNAVAILABLE', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })
    expect(classifyError(new Error('wrapped', { cause: refused })).code).toBe('DEPENDENCY_UNAVAILABLE')
    expect(
      classifyError(new Error("Stream isn't writeable and enableOfflineQueue options is false")).code,
    ).toBe('DEPENDENCY_UNAVAILABLE')
    const viemTimeout = Object.assign(new Error('The request took too long'), { name: 'TimeoutError' })
    expect(classifyError(viemTimeout).code).toBe('DEPENDENCY_UNAVAILABLE')
  })

  test('maps anything else to INTERNAL_ERROR and keeps the cause for the log', () => {
    const bug = new TypeError('x is undefined')
    const classified = classifyError(bug)
    expect(classified.code).toBe('INTERNAL_ERROR')
    expect(classified.shortMessage).toBe('Internal error')
    expect(classified.cause).toBe(bug)
  })
})
