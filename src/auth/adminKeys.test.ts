import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import {
  type AdminRole,
  createAdminKeyVerifier,
  generateAdminKey,
  hashAdminKey,
  parseAdminKeysConfig,
  roleAllows,
} from './adminKeys.js'

const alice = generateAdminKey()
const bob = generateAdminKey()

describe('generateAdminKey and hashAdminKey', () => {
  test('a key is igk_ and 32 random bytes in base64url; its hash is the hex sha256 of the whole text', () => {
    expect(alice.key).toMatch(/^igk_[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(alice.key.slice(4), 'base64url')).toHaveLength(32)
    expect(alice.hash).toBe(createHash('sha256').update(alice.key).digest('hex'))
    expect(hashAdminKey(alice.key)).toBe(alice.hash)
    expect(bob.key).not.toBe(alice.key)
  })
})

describe('parseAdminKeysConfig', () => {
  test('parses entries, trimming whitespace and lowercasing hashes', () => {
    const config = ` alice:operator:${alice.hash.toUpperCase()} ,\n bob.smith_2:auditor:${bob.hash}`
    expect(parseAdminKeysConfig(config)).toStrictEqual({
      ok: true,
      entries: [
        { name: 'alice', role: 'operator', hash: alice.hash },
        { name: 'bob.smith_2', role: 'auditor', hash: bob.hash },
      ],
    })
  })

  test('blank text configures no keys', () => {
    expect(parseAdminKeysConfig('')).toStrictEqual({ ok: true, entries: [] })
    expect(parseAdminKeysConfig('  \n')).toStrictEqual({ ok: true, entries: [] })
  })

  test.each([
    [`alice:operator:${alice.hash},`, 'admin key entry 2 is empty'],
    [`,alice:operator:${alice.hash}`, 'admin key entry 1 is empty'],
    [`alice:operator`, 'admin key entry 1: expected name:role:sha256hex'],
    [`alice:operator:${alice.hash}:extra`, 'admin key entry 1: expected name:role:sha256hex'],
    [
      `al ice:operator:${alice.hash}`,
      'admin key entry 1: the name must be 1-64 characters of letters, digits, ".", "_" or "-"',
    ],
    [
      `${'a'.repeat(65)}:operator:${alice.hash}`,
      'admin key entry 1: the name must be 1-64 characters of letters, digits, ".", "_" or "-"',
    ],
    [
      `:operator:${alice.hash}`,
      'admin key entry 1: the name must be 1-64 characters of letters, digits, ".", "_" or "-"',
    ],
    [`alice:admin:${alice.hash}`, 'admin key entry 1 (alice): the role must be operator or auditor'],
    [`alice:Operator:${alice.hash}`, 'admin key entry 1 (alice): the role must be operator or auditor'],
    [
      `alice:operator:${alice.key}`,
      'admin key entry 1 (alice): expected the sha256 hex of the key, not the key itself',
    ],
    [
      `alice:operator:${alice.hash.slice(1)}`,
      'admin key entry 1 (alice): the hash must be 64 hex characters (sha256)',
    ],
    [
      `alice:operator:${'g'.repeat(64)}`,
      'admin key entry 1 (alice): the hash must be 64 hex characters (sha256)',
    ],
    [
      `alice:operator:${alice.hash},alice:auditor:${bob.hash}`,
      'admin key entry 2 (alice): the name "alice" is listed twice',
    ],
    [
      `alice:operator:${alice.hash},bob:auditor:${alice.hash.toUpperCase()}`,
      'admin key entry 2 (bob): the same key hash is already listed for "alice"',
    ],
  ])('%s is refused: %s', (config, message) => {
    expect(parseAdminKeysConfig(config)).toStrictEqual({ ok: false, message })
  })

  test('a pasted raw key is never echoed in the error', () => {
    const result = parseAdminKeysConfig(`alice:operator:${alice.key}`)
    expect(JSON.stringify(result)).not.toContain(alice.key.slice(4))
  })
})

describe('createAdminKeyVerifier', () => {
  const config = parseAdminKeysConfig(`alice:operator:${alice.hash},bob:auditor:${bob.hash}`)
  if (!config.ok) throw new Error(config.message)
  const verifyAdminKey = createAdminKeyVerifier(config.entries)

  test('a configured key yields its principal', () => {
    expect(verifyAdminKey(alice.key)).toStrictEqual({
      ok: true,
      principal: { name: 'alice', role: 'operator' },
    })
    expect(verifyAdminKey(bob.key)).toStrictEqual({ ok: true, principal: { name: 'bob', role: 'auditor' } })
  })

  test('a missing key', () => {
    for (const key of [undefined, ''])
      expect(verifyAdminKey(key)).toStrictEqual({
        ok: false,
        code: 'UNAUTHENTICATED',
        message: 'an admin key is required',
      })
  })

  test('a well-formed key that is not configured', () => {
    expect(verifyAdminKey(generateAdminKey().key)).toStrictEqual({
      ok: false,
      code: 'UNAUTHENTICATED',
      message: 'the admin key is not recognised',
    })
  })

  test('a malformed key, including the stored hash presented as if it were the key', () => {
    const malformed = { ok: false, code: 'UNAUTHENTICATED', message: 'the admin key is malformed' }
    for (const key of [
      alice.hash,
      alice.key.slice(4),
      `${alice.key} `,
      `${alice.key}x`,
      alice.key.slice(0, -1),
      `IGK_${alice.key.slice(4)}`,
      `igk_${'+'.repeat(43)}`,
    ])
      expect(verifyAdminKey(key)).toStrictEqual(malformed)
  })

  test('with no entries every key is refused', () => {
    expect(createAdminKeyVerifier([])(alice.key)).toMatchObject({ ok: false, code: 'UNAUTHENTICATED' })
  })

  test('entries that the parser would never produce are a bug', () => {
    const entry = { name: 'alice', role: 'operator' as const, hash: alice.hash }
    expect(() => createAdminKeyVerifier([entry, { ...entry, name: 'eve' }])).toThrow(
      'the admin key hash for "eve" is listed twice',
    )
    expect(() => createAdminKeyVerifier([{ ...entry, hash: 'abc' }])).toThrow(
      'the admin key hash for "alice" is malformed',
    )
  })
})

describe('roleAllows', () => {
  test.each<[AdminRole, 'read' | 'write', boolean]>([
    ['operator', 'read', true],
    ['operator', 'write', true],
    ['auditor', 'read', true],
    ['auditor', 'write', false],
  ])('%s may %s: %s', (role, needed, allowed) => {
    expect(roleAllows(role, needed)).toBe(allowed)
  })
})
