import { describe, expect, test } from 'vitest'
import { assertInstanceHint, authorizationOf, sponsorContextSchema } from './sponsorContext.js'

describe('the ERC-7677 context', () => {
  test('may be absent or null, and passes webhookData through as given', () => {
    expect(sponsorContextSchema.parse(undefined)).toStrictEqual({})
    expect(sponsorContextSchema.parse(null)).toStrictEqual({})
    expect(sponsorContextSchema.parse({ webhookData: { order: 7, tags: ['a'] } })).toStrictEqual({
      webhookData: { order: 7, tags: ['a'] },
    })
  })

  test('refuses unknown fields by name, and webhookData over 2 KiB', () => {
    const unknown = sponsorContextSchema.safeParse({ sponsorshipPolicyId: 'sp_1' })
    expect(unknown.error?.issues[0]?.message).toBe(
      'unknown context field "sponsorshipPolicyId"; a context has token, instanceId, webhookData',
    )
    expect(sponsorContextSchema.safeParse({ webhookData: 'x'.repeat(3_000) }).success).toBe(false)
    expect(sponsorContextSchema.safeParse('token').success).toBe(false)
  })

  test('takes the token from the header, or from the context when there is no header', () => {
    expect(authorizationOf('Bearer a', {})).toBe('Bearer a')
    expect(authorizationOf(undefined, { token: 'b' })).toBe('Bearer b')
    expect(authorizationOf('Bearer b', { token: 'b' })).toBe('Bearer b')
    expect(() => authorizationOf('Bearer a', { token: 'b' })).toThrow('Two different capability tokens')
  })

  test("refuses an instance hint that is not the token's instance", () => {
    expect(() => assertInstanceHint({ instanceId: 'inst-1' }, 'inst-1')).not.toThrow()
    expect(() => assertInstanceHint({}, 'inst-1')).not.toThrow()
    expect(() => assertInstanceHint({ instanceId: 'inst-2' }, 'inst-1')).toThrow('Instance hint')
  })
})
