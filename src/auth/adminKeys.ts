import { createHash, randomBytes } from 'node:crypto'

/**
 * Admin API keys. The gateway stores only the sha256 of each key, so a leaked config or Redis dump
 * grants nothing; the key itself is shown once, when it is generated. A key is 32 random bytes,
 * so an unsalted fast hash is enough: there is no dictionary to search.
 */

export type AdminRole = 'operator' | 'auditor'

/** What a route needs: auditors read; operators read and change. */
export type AdminAccess = 'read' | 'write'

export type AdminPrincipal = { name: string; role: AdminRole }

/** One configured key: who holds it, their role, and the lowercase hex sha256 of the key. */
export type AdminKeyEntry = AdminPrincipal & { hash: string }

export type ParseAdminKeysConfigReturnType =
  | { ok: true; entries: AdminKeyEntry[] }
  | { ok: false; message: string }

export type VerifyAdminKeyReturnType =
  | { ok: true; principal: AdminPrincipal }
  | { ok: false; code: 'UNAUTHENTICATED'; message: string }

export type AdminKeyVerifier = (presentedKey: string | undefined) => VerifyAdminKeyReturnType

const keyPrefix = 'igk_'
/** The prefix makes a leaked key recognisable to secret scanners and to a reader of a config. */
const adminKeyPattern = /^igk_[A-Za-z0-9_-]{43}$/
const namePattern = /^[a-zA-Z0-9._-]{1,64}$/
const hashPattern = /^[0-9a-fA-F]{64}$/
const roles: readonly AdminRole[] = ['operator', 'auditor']

/** Generates a new admin key and the hash to put in config. Show `key` once; store only `hash`. */
export function generateAdminKey(): { key: string; hash: string } {
  const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`
  return { key, hash: hashAdminKey(key) }
}

/** The lowercase hex sha256 of the whole key text, prefix included. */
export function hashAdminKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * Parses `name:role:sha256hex` entries separated by commas, for example
 * `alice:operator:<64 hex>,bob:auditor:<64 hex>`. Whitespace around entries is ignored and blank
 * text means no keys. Names and hashes must be unique. Error messages name the entry by position
 * and name but never repeat the hash field, in case a raw key was pasted there by mistake.
 */
export function parseAdminKeysConfig(text: string): ParseAdminKeysConfigReturnType {
  if (text.trim() === '') return { ok: true, entries: [] }
  const entries: AdminKeyEntry[] = []
  const names = new Set<string>()
  const hashes = new Map<string, string>()
  const parts = text.split(',')
  for (const [index, part] of parts.entries()) {
    const position = `admin key entry ${index + 1}`
    if (part.trim() === '') return failure(`${position} is empty`)
    const fields = part.trim().split(':')
    if (fields.length !== 3) return failure(`${position}: expected name:role:sha256hex`)
    const [name = '', role = '', hash = ''] = fields
    if (!namePattern.test(name))
      return failure(`${position}: the name must be 1-64 characters of letters, digits, ".", "_" or "-"`)
    const at = `${position} (${name})`
    if (!isAdminRole(role)) return failure(`${at}: the role must be operator or auditor`)
    if (hash.startsWith(keyPrefix))
      return failure(`${at}: expected the sha256 hex of the key, not the key itself`)
    if (!hashPattern.test(hash)) return failure(`${at}: the hash must be 64 hex characters (sha256)`)
    if (names.has(name)) return failure(`${at}: the name "${name}" is listed twice`)
    const normalized = hash.toLowerCase()
    const holder = hashes.get(normalized)
    if (holder !== undefined) return failure(`${at}: the same key hash is already listed for "${holder}"`)
    names.add(name)
    hashes.set(normalized, name)
    entries.push({ name, role, hash: normalized })
  }
  return { ok: true, entries }
}

/**
 * Builds the check for a presented admin key. The key is hashed and looked up by its hash, so the
 * lookup never compares secret material: a timing difference could only reveal a hash prefix, which
 * does not help find a key.
 *
 * @throws TypeError on a malformed or duplicate hash in `entries`, which `parseAdminKeysConfig`
 * never produces.
 */
export function createAdminKeyVerifier(entries: readonly AdminKeyEntry[]): AdminKeyVerifier {
  const principals = new Map<string, AdminPrincipal>()
  for (const entry of entries) {
    const hash = entry.hash.toLowerCase()
    if (!hashPattern.test(hash)) throw new TypeError(`the admin key hash for "${entry.name}" is malformed`)
    if (principals.has(hash)) throw new TypeError(`the admin key hash for "${entry.name}" is listed twice`)
    principals.set(hash, Object.freeze({ name: entry.name, role: entry.role }))
  }
  return function verifyAdminKey(presentedKey) {
    if (presentedKey === undefined || presentedKey === '')
      return { ok: false, code: 'UNAUTHENTICATED', message: 'an admin key is required' }
    // Anything that is not shaped like a key is refused before hashing, so it costs nothing.
    if (!adminKeyPattern.test(presentedKey))
      return { ok: false, code: 'UNAUTHENTICATED', message: 'the admin key is malformed' }
    const principal = principals.get(hashAdminKey(presentedKey))
    if (!principal) return { ok: false, code: 'UNAUTHENTICATED', message: 'the admin key is not recognised' }
    return { ok: true, principal }
  }
}

/** Whether `role` grants `needed`: auditors read; operators read and write. */
export function roleAllows(role: AdminRole, needed: AdminAccess): boolean {
  if (role === 'operator') return needed === 'read' || needed === 'write'
  if (role === 'auditor') return needed === 'read'
  return false
}

function isAdminRole(value: string): value is AdminRole {
  return (roles as readonly string[]).includes(value)
}

function failure(message: string): ParseAdminKeysConfigReturnType {
  return { ok: false, message }
}
