import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { canonicalJson } from '../crypto/canonicalJson.js'
import { communityPollManifest, communityPollSbom } from './exampleManifest.js'
import { parseTemplateManifest } from './manifest.js'

describe('communityPollManifest', () => {
  test('is a valid manifest, with or without param defaults', () => {
    const bare = communityPollManifest({ chainId: 31337, expiresAt: '2030-01-01T00:00:00Z' })
    expect(parseTemplateManifest(bare)).toMatchObject({ ok: true })
    const pinned = communityPollManifest({
      chainId: 1,
      expiresAt: '2030-01-01T00:00:00Z',
      poll: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
      token: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
    })
    expect(parseTemplateManifest(pinned)).toMatchObject({
      ok: true,
      manifest: {
        params: { poll: { default: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9' } },
        intent: { chains: [1] },
      },
    })
  })

  test('commits to its SBOM by digest', () => {
    const digest = createHash('sha256').update(canonicalJson(communityPollSbom())).digest('hex')
    expect(communityPollManifest({ chainId: 1, expiresAt: '2030-01-01T00:00:00Z' }).sbom.digest).toBe(
      `sha256:${digest}`,
    )
  })

  test('has no undefined members, so what is signed is what is shown', () => {
    const document = communityPollManifest({ chainId: 1, expiresAt: '2030-01-01T00:00:00Z' })
    expect(JSON.parse(JSON.stringify(document))).toStrictEqual(document)
  })
})
