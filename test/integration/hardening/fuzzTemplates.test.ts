import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { RunningGateway } from '../../../src/main.js'
import { communityPollManifest } from '../../../src/templates/exampleManifest.js'
import { signTemplate } from '../../../src/templates/signTemplate.js'
import { expectDocumentedError } from '../../support/errorShape.js'
import { createGatewayHarness } from '../../support/gatewayHarness.js'
import { fixtureAddresses } from '../pipeline/metaTxSetup.js'

/**
 * 10,000 malformed manifests published through the admin API of a real gateway. Most are signed
 * by two trusted authorities, so they get past the envelope check to the manifest schema and the
 * reference checks; the rest are broken envelopes. A mutation that happens to leave a valid
 * manifest may publish (201, or 200 when published before); anything else must be the documented error, never a 5xx.
 */
const harness = createGatewayHarness()
let gateway: RunningGateway
let manifest: Record<string, unknown>
let paths: (string | number)[][]
/** The root and every object inside the manifest: where an extra key can go. */
let objectPaths: (string | number)[][]

type Json = ReturnType<typeof JSON.parse>

/** Every path to a value inside `value`, the root excluded. */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return []
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value)
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])])
}

/** A deep copy of `document` with the value at `path` replaced (or removed when `value` is undefined). */
function withValueAt(document: Json, path: (string | number)[], value: Json | undefined): Json {
  const copy = structuredClone(document)
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key]
  const last = path[path.length - 1] as string | number
  // Defined, not assigned: fast-check favours keys like "__proto__", which assignment would turn into
  // a prototype change; JSON.parse (what the gateway does with the body) makes it an own key too.
  if (value !== undefined)
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true })
  else if (Array.isArray(parent)) parent.splice(Number(last), 1)
  else delete parent[last]
  return copy
}

beforeAll(async () => {
  gateway = await harness.start()
  const addresses = await fixtureAddresses()
  manifest = communityPollManifest({
    chainId: 31337,
    expiresAt: '2099-01-01T00:00:00Z',
    poll: addresses.targets.communityPoll,
    token: addresses.targets.demoToken,
  })
  paths = pathsOf(manifest)
  const valueAt = (path: (string | number)[]) => path.reduce((value: Json, key) => value[key], manifest)
  objectPaths = [[], ...paths].filter((path) => {
    const value = valueAt(path)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
  })
})
afterAll(() => harness.stopAll())

const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '',
    '{{nope}}',
    '{{poll}}',
    '0x',
    '-1',
    '1e400',
    `${1n << 256n}`,
    '1d',
    '0s',
    'sender',
    'x'.repeat(2_000),
  ),
  fc.integer({ min: -5, max: 10 }),
)

const malformedEnvelope: fc.Arbitrary<{ kind: string; body: unknown }> = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({ path: fc.nat(), value: oddValue })
        .map(({ path, value }) => ({ kind: 'replace', path, value })),
    },
    { weight: 2, arbitrary: fc.nat().map((path) => ({ kind: 'delete', path, value: undefined })) },
    {
      weight: 1,
      arbitrary: fc
        .record({ path: fc.nat(), key: fc.string({ minLength: 1, maxLength: 10 }), value: oddValue })
        .map(({ path, key, value }) => ({ kind: 'extra key', path, key, value })),
    },
  )
  .map((mutation) => {
    const candidates = 'key' in mutation ? objectPaths : paths
    const path = candidates[mutation.path % candidates.length] ?? []
    const target = 'key' in mutation ? [...path, mutation.key] : path
    const document = withValueAt(manifest, target, mutation.value)
    const [first, second] = harness.keys.authorities
    if (!first || !second) throw new Error('the harness has authorities')
    return { kind: `${mutation.kind} ${path.join('.')}`, body: signTemplate(document, [first, second]) }
  })

const brokenEnvelope: fc.Arbitrary<{ kind: string; body: unknown }> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((body) => ({ kind: 'random json', body })),
  fc
    .record({ payloadType: fc.string(), payload: fc.base64String(), sig: fc.base64String() })
    .map(({ payloadType, payload, sig }) => ({
      kind: 'random envelope',
      body: { payloadType, payload, signatures: [{ keyid: 'k', sig }] },
    })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => {
    const [first] = harness.keys.authorities
    if (!first) throw new Error('the harness has authorities')
    return { kind: 'signed non-manifest', body: signTemplate(value, [first]) }
  }),
)

describe('fuzzing the admin template API', () => {
  test('10,000 malformed manifests: never a 5xx, always the documented error or a publish', async () => {
    const outcomes = new Map<string, number>()
    const cases = fc.oneof(
      { weight: 4, arbitrary: malformedEnvelope },
      { weight: 1, arbitrary: brokenEnvelope },
    )
    // 625 runs of 16 concurrent publishes: 10,000 cases.
    await fc.assert(
      fc.asyncProperty(fc.array(cases, { minLength: 16, maxLength: 16 }), async (batch) => {
        await Promise.all(
          batch.map(async ({ body }) => {
            const response = await fetch(`${gateway.url}/v1/admin/templates`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${harness.keys.admin.operator}`,
                'content-type': 'application/json',
              },
              body: JSON.stringify(body),
            })
            const json = await response.json()
            const outcome =
              // 201 publishes; 200 is a manifest published before.
              [200, 201].includes(response.status)
                ? 'published'
                : expectDocumentedError(response.status, json)
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
          }),
        )
      }),
      { numRuns: 625 },
    )
    expect([...outcomes.values()].reduce((sum, count) => sum + count, 0)).toBe(10_000)
    // The signed cases reached the manifest checks, not only the envelope check.
    expect(outcomes.get('TEMPLATE_INVALID') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get('TEMPLATE_SIGNATURE_INVALID') ?? 0).toBeGreaterThan(0)
    expect(outcomes.get('INVALID_REQUEST') ?? 0).toBeGreaterThan(0)
  }, 300_000)
})
