import { describe, expect, test } from 'vitest'
import { communityPollManifest } from './exampleManifest.js'
import { parseTemplateManifest, type TemplateManifest, type TemplateManifestDocument } from './manifest.js'
import { type ResolvedIntent, resolveInstanceIntent } from './resolveInstanceIntent.js'

const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const token = '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707'

function parsed(document: TemplateManifestDocument): TemplateManifest {
  const result = parseTemplateManifest(document)
  if (!result.ok) throw new Error(result.message)
  return result.manifest
}

const example = communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z' })
const manifest = parsed(example)

const expectedIntent: ResolvedIntent = {
  chains: [31337],
  calls: [
    {
      to: poll,
      maxValueWei: '0',
      functions: [
        { signature: 'vote(uint256)', selector: '0x0121b93f', description: 'Vote for option {0}' },
        {
          signature: 'donate()',
          selector: '0xed88c68e',
          description: 'Donate to the poll',
          maxValueWei: '10000000000000000',
        },
      ],
    },
    {
      to: token,
      maxValueWei: '0',
      functions: [
        {
          signature: 'transfer(address,uint256)',
          selector: '0xa9059cbb',
          description: 'Send {1} base units of IGDEMO to {0}',
        },
        {
          signature: 'approve(address,uint256)',
          selector: '0x095ea7b3',
          description: 'Let {0} spend {1} base units of IGDEMO',
        },
      ],
    },
  ],
  tokenCaps: [
    { token, maxTransferAmount: '100000000000000000000', maxApproveAmount: '100000000000000000000' },
  ],
  maxTxValueWei: '10000000000000000',
  limits: [
    {
      id: 'sender-count-1d',
      scope: 'sender',
      metric: 'count',
      window: '1d',
      windowKind: 'utc-day',
      windowSeconds: 86_400,
      max: '1',
    },
    {
      id: 'instance-daily-requests',
      scope: 'instance',
      metric: 'count',
      window: '1d',
      windowKind: 'utc-day',
      windowSeconds: 86_400,
      max: '50',
    },
    {
      id: 'global-valueWei-24h',
      scope: 'global',
      metric: 'valueWei',
      window: '24h',
      windowKind: 'rolling',
      windowSeconds: 86_400,
      max: '1000000000000000000',
    },
  ],
  gas: { maxGasLimit: '500000', maxFeePerGasWei: '100000000000', maxCostWei: '20000000000000000' },
}

describe('resolveInstanceIntent', () => {
  test('resolves the example into a concrete intent, checksumming addresses and applying defaults', () => {
    const result = resolveInstanceIntent(manifest, {
      poll: poll.toLowerCase(),
      token: token.toUpperCase().replace('0X', '0x'),
    })
    expect(result).toStrictEqual({
      ok: true,
      params: { poll, token, dailyRequestCap: '50' },
      intent: expectedIntent,
    })
    // Plain JSON: it survives a round trip unchanged.
    if (result.ok) expect(JSON.parse(JSON.stringify(result.intent))).toStrictEqual(result.intent)
  })

  test('resolves an approvals section, leaving it out when the template has none', () => {
    const withApprovals = parsed({
      ...example,
      params: { ...example.params, approvalValue: { type: 'uint256', default: '7' } },
      intent: {
        ...example.intent,
        approvals: {
          required: 3,
          valueAboveWei: '{{approvalValue}}',
          tokenAmountsAbove: [{ token: '{{token}}', amount: '9' }],
        },
      },
    })
    const result = resolveInstanceIntent(withApprovals, { poll, token, approvalValue: '0012' })
    expect(result.ok).toBe(false)
    const resolved = resolveInstanceIntent(withApprovals, {
      poll,
      token: token.toLowerCase(),
      approvalValue: '12',
    })
    if (!resolved.ok) throw new Error(resolved.message)
    expect(resolved.intent.approvals).toStrictEqual({
      required: 3,
      valueAboveWei: '12',
      tokenAmountsAbove: [{ token, amount: '9' }],
    })
    const plain = resolveInstanceIntent(manifest, { poll, token })
    if (!plain.ok) throw new Error(plain.message)
    expect('approvals' in plain.intent).toBe(false)
  })

  test('a given param replaces its default', () => {
    const result = resolveInstanceIntent(manifest, { poll, token, dailyRequestCap: '500' })
    expect(result.ok && result.intent.limits[1]?.max).toBe('500')
  })

  test('params may be omitted when every param has a default', () => {
    const withDefaults = parsed(
      communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z', poll, token }),
    )
    expect(resolveInstanceIntent(withDefaults, undefined)).toStrictEqual({
      ok: true,
      params: { poll, token, dailyRequestCap: '50' },
      intent: expectedIntent,
    })
  })

  test('bool, string and bytes32 params are checked and normalized', () => {
    const document = structuredClone(example)
    document.params.open = { type: 'bool' }
    document.params.label = { type: 'string', default: 'poll' }
    document.params.salt = { type: 'bytes32' }
    const salt = `0x${'AB'.repeat(32)}`
    expect(resolveInstanceIntent(parsed(document), { poll, token, open: false, salt })).toMatchObject({
      ok: true,
      params: { poll, token, dailyRequestCap: '50', open: false, label: 'poll', salt: salt.toLowerCase() },
    })
    expect(resolveInstanceIntent(parsed(document), { poll, token, open: 'yes', salt: '0xab' })).toMatchObject(
      {
        ok: false,
        code: 'PARAMS_INVALID',
        issues: [
          { path: 'params.open', message: 'expected true or false' },
          { path: 'params.salt', message: '"0xab" is not a bytes32: expected 0x and 64 hex digits' },
        ],
      },
    )
  })

  test.each([
    ['a param of the wrong type', { poll: 42, token }, 'params.poll: expected an address as a 0x string'],
    [
      'an address that is not one',
      { poll: '0x1234', token },
      'params.poll: "0x1234" is not an address: expected 0x and 40 hex digits',
    ],
    [
      'a uint256 given as a JSON number',
      { poll, token, dailyRequestCap: 50 },
      'params.dailyRequestCap: expected a uint256 as a decimal string',
    ],
    [
      'a uint256 out of range',
      { poll, token, dailyRequestCap: '-1' },
      'params.dailyRequestCap: "-1" is not a uint256: expected a decimal string of digits',
    ],
    [
      'an unknown param',
      { poll, token, owner: poll },
      'params.owner: unknown param; the template declares poll, token, dailyRequestCap',
    ],
    ['a missing required param', { poll }, 'params.token: required address param is missing'],
    ['params that are not an object', [poll, token], 'params: expected an object of param values'],
    [
      'params that give two calls the same target',
      { poll, token: poll },
      `params.token: makes intent.calls[1].to ${poll}, the same as intent.calls[0].to`,
    ],
  ])('refuses %s with PARAMS_INVALID', (_, params, message) => {
    expect(resolveInstanceIntent(manifest, params)).toMatchObject({
      ok: false,
      code: 'PARAMS_INVALID',
      message,
    })
  })

  test('reports every bad param at once', () => {
    expect(resolveInstanceIntent(manifest, { token: 'DemoToken', extra: 1 })).toStrictEqual({
      ok: false,
      code: 'PARAMS_INVALID',
      message: 'params.extra: unknown param; the template declares poll, token, dailyRequestCap (and 2 more)',
      issues: [
        {
          path: 'params.extra',
          message: 'unknown param; the template declares poll, token, dailyRequestCap',
        },
        { path: 'params.poll', message: 'required address param is missing' },
        { path: 'params.token', message: '"DemoToken" is not an address: expected 0x and 40 hex digits' },
      ],
    })
  })

  test('a param named like an Object.prototype member is not found by accident', () => {
    expect(resolveInstanceIntent(manifest, { poll, token, constructor: '1' })).toMatchObject({
      ok: false,
      message: 'params.constructor: unknown param; the template declares poll, token, dailyRequestCap',
    })
  })
})
