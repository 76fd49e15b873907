import { describe, expect, test } from 'vitest'
import { communityPollManifest } from './exampleManifest.js'
import { parseTemplateManifest, type TemplateManifestDocument } from './manifest.js'

const poll = '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9'
const example = communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z', poll })

type Change = (document: TemplateManifestDocument) => void

/** A deep copy of the example with one change. */
function exampleWith(change: Change): unknown {
  const document = structuredClone(example)
  change(document)
  return document
}

/** Sets a field to a value its type forbids: the point of these tests. */
function set(target: object, key: string, value: unknown): void {
  Reflect.set(target, key, value)
}

function at<T>(items: T[] | undefined, index: number): T {
  const item = items?.[index]
  if (item === undefined) throw new Error(`the example has no item ${index}`)
  return item
}

const call = (d: TemplateManifestDocument, index: number) => at(d.intent.calls, index)
const allowedFunction = (d: TemplateManifestDocument, c: number, f: number) => at(call(d, c).functions, f)
const limit = (d: TemplateManifestDocument, index: number) => at(d.intent.limits, index)
const param = (d: TemplateManifestDocument, name: string) => {
  const declared = d.params[name]
  if (!declared) throw new Error(`the example has no param ${name}`)
  return declared
}

describe('parseTemplateManifest', () => {
  test('accepts the example and normalizes signatures and addresses', () => {
    const document = exampleWith((d) => {
      call(d, 0).to = poll.toLowerCase()
      allowedFunction(d, 0, 0).signature = 'vote(uint option)'
    })
    const result = parseTemplateManifest(document)
    if (!result.ok) throw new Error(result.message)
    expect(result.manifest.intent.calls[0]?.to).toBe(poll)
    expect(result.manifest.intent.calls[0]?.functions[0]?.signature).toBe('vote(uint256)')
    // A call without maxValueWei may carry no value.
    expect(result.manifest.intent.calls[1]?.maxValueWei).toBe('0')
  })

  test('a document that is not an object is refused at the root', () => {
    expect(parseTemplateManifest('community-poll')).toStrictEqual({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: '(root): Invalid input: expected object, received string',
      issues: [{ path: '(root)', message: 'Invalid input: expected object, received string' }],
    })
  })

  test('every issue is reported; the message names the first and counts the rest', () => {
    const result = parseTemplateManifest(
      exampleWith((d) => {
        set(d, 'extra', true)
        Reflect.deleteProperty(d.intent.gas, 'maxCostWei')
      }),
    )
    expect(result).toStrictEqual({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: 'intent.gas.maxCostWei: required field is missing (and 1 more)',
      issues: [
        { path: 'intent.gas.maxCostWei', message: 'required field is missing' },
        { path: 'extra', message: 'unknown field' },
      ],
    })
  })

  const invalid: [string, Change, string][] = [
    ['an unknown top-level field', (d) => set(d, 'owner', 'me'), 'owner: unknown field'],
    [
      'an unknown nested field',
      (d) => set(allowedFunction(d, 0, 0), 'payable', true),
      'intent.calls[0].functions[0].payable: unknown field',
    ],
    ['a missing schema', (d) => Reflect.deleteProperty(d, 'schema'), 'schema: required field is missing'],
    [
      'another schema',
      (d) => set(d, 'schema', 'intentgate.template/v2'),
      'schema: expected "intentgate.template/v1"',
    ],
    [
      'an id that is not a slug',
      (d) => (d.id = 'Community Poll'),
      'id: expected a slug: lower-case letters, digits and -, at most 63',
    ],
    [
      'a version that is not semver',
      (d) => (d.version = '1.0'),
      'version: expected a semantic version such as 1.0.0',
    ],
    ['an empty publisher', (d) => (d.publisher = ''), 'publisher: must not be empty'],
    [
      'a verification level above 3',
      (d) => set(d, 'verificationLevel', 4),
      'verificationLevel: expected 0 (draft), 1 (reviewed), 2 (audited) or 3 (certified)',
    ],
    [
      'a repeated capability',
      (d) => d.capabilities.push('relay:meta-tx'),
      'capabilities[2]: duplicate capability "relay:meta-tx"',
    ],
    ['no capability', (d) => (d.capabilities = []), 'capabilities: list at least one capability'],
    [
      'a param name that is not an identifier',
      (d) => (d.params['max votes'] = { type: 'uint256' }),
      'params["max votes"]: not a param name: a letter then up to 31 letters, digits or _',
    ],
    [
      'an unknown param type',
      (d) => set(param(d, 'poll'), 'type', 'int256'),
      'params.poll.type: expected a type among "address", "uint256", "bool", "string", "bytes32"',
    ],
    [
      'a default of the wrong type',
      (d) => set(param(d, 'dailyRequestCap'), 'default', 50),
      'params.dailyRequestCap.default: expected a uint256 as a decimal string',
    ],
    [
      'an address default with a bad checksum',
      (d) => set(param(d, 'poll'), 'default', '0xdC64a140Aa3E981100a9becA4E685f962f0cF6C9'),
      'params.poll.default: "0xdC64a140Aa3E981100a9becA4E685f962f0cF6C9" is not an address: its mixed-case EIP-55 checksum is wrong',
    ],
    ['a repeated chain', (d) => d.intent.chains.push(31337), 'intent.chains[1]: duplicate chain 31337'],
    [
      'a chain id of zero',
      (d) => (d.intent.chains = [0]),
      'intent.chains[0]: expected a chain id: a positive integer',
    ],
    [
      'a bad function signature',
      (d) => (allowedFunction(d, 0, 1).signature = 'vote(uint257)'),
      'intent.calls[0].functions[1].signature: "vote(uint257)" is not a valid function signature: Type "uint257" is not a valid ABI type',
    ],
    [
      'a signature with modifiers',
      (d) => (allowedFunction(d, 0, 1).signature = 'donate() payable'),
      'intent.calls[0].functions[1].signature: "donate() payable" is not a valid function signature: write only name(types), without modifiers or returns',
    ],
    [
      'a selector allowed twice in one call',
      (d) => call(d, 0).functions.push({ signature: 'vote(uint256 choice)' }),
      'intent.calls[0].functions[2].signature: "vote(uint256)" has selector 0x0121b93f, already allowed by intent.calls[0].functions[0]',
    ],
    [
      'a description naming an argument the function lacks',
      (d) => (allowedFunction(d, 0, 0).description = 'Vote for option {1}'),
      'intent.calls[0].functions[0].description: {1} refers to argument 1, but vote(uint256) takes 1 argument',
    ],
    [
      'a call with no function',
      (d) => (call(d, 0).functions = []),
      'intent.calls[0].functions: list at least one function',
    ],
    [
      'a target that is neither address nor placeholder',
      (d) => (call(d, 0).to = 'poll'),
      'intent.calls[0].to: "poll" is not an address: expected 0x and 40 hex digits',
    ],
    [
      'a placeholder naming an unknown param',
      (d) => (call(d, 0).to = '{{pool}}'),
      'intent.calls[0].to: placeholder {{pool}} refers to an undeclared param "pool"',
    ],
    [
      'a placeholder naming a param of the wrong type',
      (d) => (call(d, 0).to = '{{dailyRequestCap}}'),
      'intent.calls[0].to: placeholder {{dailyRequestCap}} refers to param "dailyRequestCap" of type uint256, not address',
    ],
    [
      'a malformed placeholder',
      (d) => (limit(d, 1).max = '{{daily cap}}'),
      'intent.limits[1].max: "{{daily cap}}" is not a valid placeholder: a param name is a letter followed by up to 31 letters, digits or _',
    ],
    [
      'two calls to one target',
      (d) => (call(d, 1).to = '{{poll}}'),
      'intent.calls[1].to: {{poll}} is already the target of intent.calls[0]; list all its functions in one call',
    ],
    [
      'a uint with a leading zero',
      (d) => (call(d, 0).maxValueWei = '01'),
      'intent.calls[0].maxValueWei: "01" is not a uint256: leading zeros are not allowed',
    ],
    [
      'a uint that is not decimal',
      (d) => (d.intent.gas.maxGasLimit = '0x7a120'),
      'intent.gas.maxGasLimit: "0x7a120" is not a uint256: expected a decimal string of digits',
    ],
    [
      'a uint of 2^256',
      (d) => (d.intent.maxTxValueWei = (2n ** 256n).toString()),
      `intent.maxTxValueWei: "${(2n ** 256n).toString()}" is not a uint256: above 2^256 - 1`,
    ],
    [
      'a uint as a JSON number',
      (d) => set(d.intent.gas, 'maxCostWei', 1000),
      'intent.gas.maxCostWei: expected a uint256 as a decimal string',
    ],
    [
      'a token cap without any cap',
      (d) => set(d.intent, 'tokenCaps', [{ token: '{{token}}' }]),
      'intent.tokenCaps[0]: give maxTransferAmount, maxApproveAmount or both',
    ],
    [
      'a window in weeks',
      (d) => (limit(d, 0).window = '1w'),
      'intent.limits[0].window: "1w" is not a window: expected a positive count and a unit s, m, h or d, as in 1d or 12h',
    ],
    [
      'a repeated limit id',
      (d) =>
        d.intent.limits.push({
          id: 'instance-daily-requests',
          scope: 'global',
          metric: 'count',
          window: '1h',
          max: '9',
        }),
      'intent.limits[3].id: duplicate limit id "instance-daily-requests", already used by intent.limits[1]',
    ],
    [
      'two limits deriving the same id',
      (d) => d.intent.limits.push({ scope: 'sender', metric: 'count', window: '1d', max: '3' }),
      'intent.limits[3]: its derived id "sender-count-1d" is already used by intent.limits[0]; give one of them an explicit id',
    ],
    [
      'an unknown limit scope',
      (d) => set(limit(d, 0), 'scope', 'chain'),
      'intent.limits[0].scope: Invalid option: expected one of "sender"|"instance"|"template"|"global"',
    ],
    [
      'an sbom digest in upper case',
      (d) => (d.sbom.digest = d.sbom.digest.toUpperCase()),
      'sbom.digest: expected sha256: and 64 lower-case hex digits',
    ],
    ['an sbom uri that is not a URL', (d) => (d.sbom.uri = 'sbom.json'), 'sbom.uri: expected a URL'],
    [
      'an expiry with an offset',
      (d) => (d.expiresAt = '2030-01-01T00:00:00+01:00'),
      'expiresAt: expected an ISO 8601 UTC date-time such as 2026-01-01T00:00:00Z',
    ],
  ]

  test.each(invalid)('refuses %s with a message naming the field', (_, change, message) => {
    const result = parseTemplateManifest(exampleWith(change))
    expect(result).toMatchObject({ ok: false, code: 'TEMPLATE_INVALID', message })
  })

  test('an approvals section with thresholds from params is accepted', () => {
    const document = exampleWith((d) => {
      d.params.approvalValue = { type: 'uint256', default: '5000000000000000' }
      d.intent.approvals = {
        required: 2,
        valueAboveWei: '{{approvalValue}}',
        tokenAmountsAbove: [{ token: '{{token}}', amount: '50000000000000000000' }],
      }
    })
    const result = parseTemplateManifest(document)
    if (!result.ok) throw new Error(result.message)
    expect(result.manifest.intent.approvals).toStrictEqual({
      required: 2,
      valueAboveWei: '{{approvalValue}}',
      tokenAmountsAbove: [{ token: '{{token}}', amount: '50000000000000000000' }],
    })
  })

  const approvalsOf = (d: TemplateManifestDocument) => {
    d.intent.approvals = { required: 2, valueAboveWei: '1' }
    return d.intent.approvals
  }
  test.each<[string, Change, string]>([
    [
      'no trigger',
      (d) => (d.intent.approvals = { required: 2 }),
      'intent.approvals: give valueAboveWei, tokenAmountsAbove or both',
    ],
    [
      'zero approvals',
      (d) => (approvalsOf(d).required = 0),
      'intent.approvals.required: at least 1 approval',
    ],
    [
      'eleven approvals',
      (d) => (approvalsOf(d).required = 11),
      'intent.approvals.required: at most 10 approvals',
    ],
    [
      'a fraction of an approval',
      (d) => (approvalsOf(d).required = 1.5),
      'intent.approvals.required: expected a whole number of approvals',
    ],
    [
      'required as a string',
      (d) => set(approvalsOf(d), 'required', '2'),
      'intent.approvals.required: expected a number of approvals',
    ],
    [
      'a threshold as a number',
      (d) => set(approvalsOf(d), 'valueAboveWei', 1),
      'intent.approvals.valueAboveWei: expected a uint256 decimal string or a {{param}} placeholder',
    ],
    [
      'an unknown field',
      (d) => set(approvalsOf(d), 'newTargets', true),
      'intent.approvals.newTargets: unknown field',
    ],
    [
      'no token thresholds listed',
      (d) => (approvalsOf(d).tokenAmountsAbove = []),
      'intent.approvals.tokenAmountsAbove: list at least one token',
    ],
    [
      'a threshold naming an undeclared param',
      (d) => (approvalsOf(d).valueAboveWei = '{{missing}}'),
      'intent.approvals.valueAboveWei: placeholder {{missing}} refers to an undeclared param "missing"',
    ],
    [
      'a token threshold naming a uint256 param',
      (d) => (approvalsOf(d).tokenAmountsAbove = [{ token: '{{dailyRequestCap}}', amount: '1' }]),
      'intent.approvals.tokenAmountsAbove[0].token: placeholder {{dailyRequestCap}} refers to param "dailyRequestCap" of type uint256, not address',
    ],
    [
      'one token with two thresholds',
      (d) =>
        (approvalsOf(d).tokenAmountsAbove = [
          { token: '{{token}}', amount: '1' },
          { token: '{{token}}', amount: '2' },
        ]),
      'intent.approvals.tokenAmountsAbove[1].token: {{token}} already has a threshold at intent.approvals.tokenAmountsAbove[0]',
    ],
  ])('refuses an approvals section with %s', (_, change, message) => {
    expect(parseTemplateManifest(exampleWith(change))).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message,
    })
  })

  test('a placeholder may set a function value cap from a uint256 param', () => {
    const document = exampleWith((d) => {
      d.params.maxDonation = { type: 'uint256', default: '1000' }
      allowedFunction(d, 0, 1).maxValueWei = '{{maxDonation}}'
    })
    expect(parseTemplateManifest(document).ok).toBe(true)
  })
})
