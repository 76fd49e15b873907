import { hash } from 'node:crypto'

/**
 * Merkle tree hashing, inclusion proofs and consistency proofs as RFC 9162 §2.1 (and RFC 6962
 * §2.1 before it) defines them, so any RFC 6962 verifier can check this log's proofs:
 *
 * - MTH({}) = SHA-256(""), the hash of no bytes;
 * - MTH({d0}) = SHA-256(0x00 || d0) for a single leaf;
 * - MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])) for n > 1, where k is the largest
 *   power of two smaller than n.
 *
 * The 0x00 and 0x01 prefixes keep a leaf from ever being read as an interior node. Proof
 * elements are ordered from the leaf side up to the root, as the RFC's PATH and PROOF produce them.
 */

/** A SHA-256 digest: always 32 bytes. */
export type Hash = Uint8Array

export const hashBytes = 32

/** The leaf hash of one log entry: SHA-256(0x00 || entry). */
export function hashLeaf(entry: Uint8Array): Hash {
  const input = new Uint8Array(entry.length + 1)
  input.set(entry, 1)
  return sha256(input)
}

/** An interior node: SHA-256(0x01 || left || right). */
export function hashChildren(left: Hash, right: Hash): Hash {
  const input = new Uint8Array(1 + 2 * hashBytes)
  input[0] = 0x01
  input.set(left, 1)
  input.set(right, 1 + hashBytes)
  return sha256(input)
}

/** MTH of the empty tree: SHA-256 of no bytes. */
export function emptyTreeRoot(): Hash {
  return sha256(new Uint8Array(0))
}

// The one-shot hash is markedly cheaper than a streaming createHash per node, and a busy log
// hashes two nodes per entry on average.
function sha256(input: Uint8Array): Hash {
  return new Uint8Array(hash('sha256', input, 'buffer'))
}

/**
 * Computes MTH(D[start:end]) for a range the RFC recursion asks for. Passing the hasher in lets
 * the same proof construction run over a plain array (here) and over cached subtrees (MerkleTree).
 */
export type SubtreeHasher = (start: number, end: number) => Hash

/** The largest power of two strictly smaller than `n`, for n > 1: where the RFC splits a tree. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Whether `n` is a positive power of two. Arithmetic rather than bit tricks, so sizes past 2^31 work. */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n < 1) return false
  let rest = n
  while (rest % 2 === 0) rest /= 2
  return rest === 1
}

/** MTH of the first `size` leaf hashes (all of them by default), straight from the definition: O(n). */
export function rootFromLeafHashes(leafHashes: readonly Hash[], size = leafHashes.length): Hash {
  assertSize(size, leafHashes.length, 'size')
  if (size === 0) return emptyTreeRoot()
  return arrayHasher(leafHashes)(0, size)
}

/** The inclusion proof (RFC 9162 §2.1.3.1 PATH) of leaf `index` in the tree of the first `treeSize` leaves. */
export function inclusionProof(leafHashes: readonly Hash[], index: number, treeSize: number): Hash[] {
  assertSize(treeSize, leafHashes.length, 'treeSize')
  return inclusionPath(arrayHasher(leafHashes), index, treeSize)
}

/** The consistency proof (RFC 9162 §2.1.4.1 PROOF) that the tree of `first` leaves is a prefix of that of `second`. */
export function consistencyProof(leafHashes: readonly Hash[], first: number, second: number): Hash[] {
  assertSize(second, leafHashes.length, 'second')
  return consistencyPath(arrayHasher(leafHashes), first, second)
}

/**
 * PATH(index, D[0:treeSize]) using `subtree` for every sibling. Throws a RangeError for an index
 * outside the tree: asking for a proof of a leaf that does not exist is a caller bug.
 */
export function inclusionPath(subtree: SubtreeHasher, index: number, treeSize: number): Hash[] {
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw new RangeError('treeSize must be at least 1')
  if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize)
    throw new RangeError(`index ${index} is outside a tree of ${treeSize} leaves`)
  const proof: Hash[] = []
  collectPath(subtree, index, 0, treeSize, proof)
  return proof
}

function collectPath(subtree: SubtreeHasher, index: number, start: number, end: number, proof: Hash[]): void {
  const n = end - start
  if (n === 1) return
  const k = splitPoint(n)
  if (index < k) {
    collectPath(subtree, index, start, start + k, proof)
    proof.push(subtree(start + k, end))
  } else {
    collectPath(subtree, index - k, start + k, end, proof)
    proof.push(subtree(start, start + k))
  }
}

/**
 * PROOF(first, D[0:second]) using `subtree`. The RFC defines it for 0 < first < second; for
 * first = 0 (the empty tree is a prefix of every tree) and first = second there is nothing to
 * prove and the proof is empty, which `verifyConsistencyProof` accepts for those cases only.
 */
export function consistencyPath(subtree: SubtreeHasher, first: number, second: number): Hash[] {
  if (!Number.isSafeInteger(second) || second < 0) throw new RangeError('second must be a tree size')
  if (!Number.isSafeInteger(first) || first < 0 || first > second)
    throw new RangeError(`first (${first}) must be a tree size no larger than second (${second})`)
  const proof: Hash[] = []
  if (first === 0 || first === second) return proof
  collectSubproof(subtree, first, 0, second, true, proof)
  return proof
}

/** SUBPROOF(m, D[start:end], complete) of RFC 9162 §2.1.4.1. */
function collectSubproof(
  subtree: SubtreeHasher,
  m: number,
  start: number,
  end: number,
  complete: boolean,
  proof: Hash[],
): void {
  const n = end - start
  if (m === n) {
    // A subtree the old tree holds whole: the verifier already knows its hash when it is the old root.
    if (!complete) proof.push(subtree(start, end))
    return
  }
  const k = splitPoint(n)
  if (m <= k) {
    collectSubproof(subtree, m, start, start + k, complete, proof)
    proof.push(subtree(start + k, end))
  } else {
    collectSubproof(subtree, m - k, start + k, end, false, proof)
    proof.push(subtree(start, start + k))
  }
}

/**
 * Checks an inclusion proof as RFC 9162 §2.1.3.2 prescribes. Never throws: malformed input
 * (wrong hash lengths, impossible sizes, a proof too long or too short) is simply not a proof.
 */
export function verifyInclusionProof(
  leafHash: Hash,
  index: number,
  treeSize: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(index)) return false
  if (index < 0 || index >= treeSize) return false
  let fn = index
  let sn = treeSize - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = hashChildren(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalHashes(r, root)
}

/**
 * Checks a consistency proof as RFC 9162 §2.1.4.2 prescribes for 0 < first < second. Outside
 * that range only the trivial cases hold: equal sizes with equal roots, or an empty first tree
 * whose root is MTH({}); both with an empty proof. Never throws.
 */
export function verifyConsistencyProof(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) return false
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second)) return false
  if (first < 0 || first > second) return false
  if (first === second) return proof.length === 0 && equalHashes(firstRoot, secondRoot)
  if (first === 0) return proof.length === 0 && equalHashes(firstRoot, emptyTreeRoot())
  if (proof.length === 0) return false
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof]
  let fn = first - 1
  let sn = second - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  const [seed, ...rest] = path as [Hash, ...Hash[]]
  let fr = seed
  let sr = seed
  for (const c of rest) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = hashChildren(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && equalHashes(fr, firstRoot) && equalHashes(sr, secondRoot)
}

/** Byte equality of two hashes. Proof data is public, so a constant-time compare buys nothing. */
export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

function isHash(value: unknown): value is Hash {
  return value instanceof Uint8Array && value.length === hashBytes
}

function arrayHasher(leafHashes: readonly Hash[]): SubtreeHasher {
  const subtree: SubtreeHasher = (start, end) => {
    if (end - start === 1) return leafHashes[start] as Hash
    const k = splitPoint(end - start)
    return hashChildren(subtree(start, start + k), subtree(start + k, end))
  }
  return subtree
}

function assertSize(size: number, available: number, name: string): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > available)
    throw new RangeError(`${name} (${size}) must be between 0 and the ${available} leaf hashes given`)
}
