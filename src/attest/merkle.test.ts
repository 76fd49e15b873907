import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  consistencyProof,
  emptyTreeRoot,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle.js'

/*
 * A reference written straight from RFC 6962 §2.1, sharing nothing with merkle.ts: it hashes the
 * raw leaf data with its own SHA-256 calls, recurses on sub-arrays exactly as MTH, PATH and
 * SUBPROOF are written in the RFC, and finds k by looking for the largest power of two below n.
 */
const sha = (...parts: Uint8Array[]) => {
  const hasher = createHash('sha256')
  for (const part of parts) hasher.update(part)
  return new Uint8Array(hasher.digest())
}
const largestPowerBelow = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1)
const referenceRoot = (data: Uint8Array[]): Uint8Array => {
  if (data.length === 0) return sha()
  if (data.length === 1) return sha(Uint8Array.of(0), data[0] as Uint8Array)
  const k = largestPowerBelow(data.length)
  return sha(Uint8Array.of(1), referenceRoot(data.slice(0, k)), referenceRoot(data.slice(k)))
}
const referencePath = (m: number, data: Uint8Array[]): Uint8Array[] => {
  if (data.length === 1) return []
  const k = largestPowerBelow(data.length)
  return m < k
    ? [...referencePath(m, data.slice(0, k)), referenceRoot(data.slice(k))]
    : [...referencePath(m - k, data.slice(k)), referenceRoot(data.slice(0, k))]
}
const referenceSubproof = (m: number, data: Uint8Array[], complete: boolean): Uint8Array[] => {
  if (m === data.length) return complete ? [] : [referenceRoot(data)]
  const k = largestPowerBelow(data.length)
  return m <= k
    ? [...referenceSubproof(m, data.slice(0, k), complete), referenceRoot(data.slice(k))]
    : [...referenceSubproof(m - k, data.slice(k), false), referenceRoot(data.slice(0, k))]
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))
const entries = (n: number) => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`L${i}`))

describe('the reference agrees with the power-of-two split it stands for', () => {
  test('largestPowerBelow', () => {
    expect([2, 3, 4, 5, 7, 8, 9, 16, 17].map(largestPowerBelow)).toStrictEqual([1, 2, 2, 4, 4, 4, 8, 8, 16])
  })
})

/*
 * Worked vectors. Leaves are the ASCII strings "L0".."L7"; a tree of size n holds the first n.
 *
 *   MTH({})          e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
 *   size 1           12403899e10d73557e1d37c2d1c3dc1686a9512034479aa25d06f1d80fc46069
 *   size 2           926054f28bc88651ef446709206587f183c49ae5b0f1393caaeb104e54fcc50f
 *   size 3           49b3ac37087cacbed8e89716b70f93b0440b87e22a573e8fefe5a4d15e827862
 *   size 4           11170c8d45f48eb6ec89abd8dd8b6e07d153db5e70f8083841d6bb5e00f3f9f0
 *   size 5           0f3371a238bdf07106b23d9bf71b21e0d71bb0595c46c90ca919093ae22da7ef
 *   size 6           f2287294adfc2d2bfb00639cfe2c55d169b193800ddfc7405d012c965df0ef89
 *   size 7           9a01afc3a2f698368e6143b81124c362459916ce16f62ca7b96933fc862735ed
 *   size 8           b70774ab4b8a8159950d886804e6d29fa1a51f306db62f257d81e2320cd65e4c
 *
 * With h(i) the leaf hash of "Li" and h(a..b) the root of leaves a..b inclusive:
 *   PATH(2, 7)  = [h(3), h(0..1), h(4..6)]
 *   PATH(6, 7)  = [h(4..5), h(0..3)]
 *   PATH(0, 8)  = [h(1), h(2..3), h(4..7)]
 *   PROOF(3, 7) = [h(2), h(3), h(0..1), h(4..6)]
 *   PROOF(4, 7) = [h(4..6)]               (4 is a power of two: the old root itself is left out)
 *   PROOF(6, 8) = [h(4..5), h(6..7), h(0..3)]
 */
const rootsOfL = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '12403899e10d73557e1d37c2d1c3dc1686a9512034479aa25d06f1d80fc46069',
  '926054f28bc88651ef446709206587f183c49ae5b0f1393caaeb104e54fcc50f',
  '49b3ac37087cacbed8e89716b70f93b0440b87e22a573e8fefe5a4d15e827862',
  '11170c8d45f48eb6ec89abd8dd8b6e07d153db5e70f8083841d6bb5e00f3f9f0',
  '0f3371a238bdf07106b23d9bf71b21e0d71bb0595c46c90ca919093ae22da7ef',
  'f2287294adfc2d2bfb00639cfe2c55d169b193800ddfc7405d012c965df0ef89',
  '9a01afc3a2f698368e6143b81124c362459916ce16f62ca7b96933fc862735ed',
  'b70774ab4b8a8159950d886804e6d29fa1a51f306db62f257d81e2320cd65e4c',
]

describe('worked vectors', () => {
  const data = entries(8)
  const leafHashes = data.map(hashLeaf)
  const range = (a: number, b: number) => hex(referenceRoot(data.slice(a, b + 1)))

  test('roots of sizes 0..8, by the reference and by rootFromLeafHashes', () => {
    for (let n = 0; n <= 8; n++) {
      expect(hex(referenceRoot(data.slice(0, n)))).toBe(rootsOfL[n])
      expect(hex(rootFromLeafHashes(leafHashes, n))).toBe(rootsOfL[n])
    }
    expect(hex(emptyTreeRoot())).toBe(rootsOfL[0])
  })

  test('the leaf and node hashes carry their RFC prefixes', () => {
    expect(hex(hashLeaf(data[0] as Uint8Array))).toBe(hex(sha(Uint8Array.of(0), data[0] as Uint8Array)))
    const [a, b] = leafHashes as [Uint8Array, Uint8Array]
    expect(hex(hashChildren(a, b))).toBe(hex(sha(Uint8Array.of(1), a, b)))
    expect(hex(hashChildren(a, b))).toBe(rootsOfL[2])
  })

  test('inclusion proofs', () => {
    expect(inclusionProof(leafHashes, 2, 7).map(hex)).toStrictEqual([range(3, 3), range(0, 1), range(4, 6)])
    expect(inclusionProof(leafHashes, 6, 7).map(hex)).toStrictEqual([range(4, 5), range(0, 3)])
    expect(inclusionProof(leafHashes, 0, 8).map(hex)).toStrictEqual([range(1, 1), range(2, 3), range(4, 7)])
    expect(inclusionProof(leafHashes, 0, 1)).toStrictEqual([])
    expect(inclusionProof(leafHashes, 2, 7).map(hex)).toStrictEqual([
      '5c610e9fef6cc0012ba3802aabf1a7c07564a103cc0caec27093f2089f25a890',
      '926054f28bc88651ef446709206587f183c49ae5b0f1393caaeb104e54fcc50f',
      '4a162f4dc2edfae16ff7855506f6b85aedc7f93a188714781da83bf1bc6f7f9c',
    ])
  })

  test('consistency proofs', () => {
    expect(consistencyProof(leafHashes, 3, 7).map(hex)).toStrictEqual([
      range(2, 2),
      range(3, 3),
      range(0, 1),
      range(4, 6),
    ])
    expect(consistencyProof(leafHashes, 4, 7).map(hex)).toStrictEqual([range(4, 6)])
    expect(consistencyProof(leafHashes, 6, 8).map(hex)).toStrictEqual([range(4, 5), range(6, 7), range(0, 3)])
    expect(consistencyProof(leafHashes, 6, 8).map(hex)).toStrictEqual([
      '96c531d55db22b9b7d2057afc432b10a60a2f3812b8ecb5d3fb51b114fd12ab7',
      '5d82c355e50240844b441d4f8a7dbaa6e6035f2504771f7d6055c9d5b832d139',
      '11170c8d45f48eb6ec89abd8dd8b6e07d153db5e70f8083841d6bb5e00f3f9f0',
    ])
    expect(consistencyProof(leafHashes, 0, 5)).toStrictEqual([])
    expect(consistencyProof(leafHashes, 5, 5)).toStrictEqual([])
  })

  test('each worked proof verifies', () => {
    const root = (n: number) => fromHex(rootsOfL[n] as string)
    for (const [index, size] of [
      [2, 7],
      [6, 7],
      [0, 8],
    ] as const)
      expect(
        verifyInclusionProof(
          leafHashes[index] as Uint8Array,
          index,
          size,
          inclusionProof(leafHashes, index, size),
          root(size),
        ),
      ).toBe(true)
    for (const [first, second] of [
      [3, 7],
      [4, 7],
      [6, 8],
      [1, 8],
    ] as const)
      expect(
        verifyConsistencyProof(
          first,
          second,
          root(first),
          root(second),
          consistencyProof(leafHashes, first, second),
        ),
      ).toBe(true)
  })

  /*
   * The leaves and roots of the Certificate Transparency project's own test suite, which this
   * code never saw: an outside check that the prefixes and the split match RFC 6962.
   */
  test('agrees with the RFC 6962 test vectors of certificate-transparency', () => {
    const ctLeaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ]
    const ctRoots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ]
    const hashes = ctLeaves.map((leaf) => hashLeaf(fromHex(leaf)))
    for (let n = 1; n <= 8; n++) expect(hex(rootFromLeafHashes(hashes, n))).toBe(ctRoots[n - 1])
  })
})

describe('the pure proof functions match the reference for every small tree', () => {
  test('every index of every size up to 40, every pair of sizes up to 40', () => {
    const data = entries(40)
    const leafHashes = data.map(hashLeaf)
    for (let n = 1; n <= 40; n++) {
      const tree = data.slice(0, n)
      expect(hex(rootFromLeafHashes(leafHashes, n))).toBe(hex(referenceRoot(tree)))
      for (let m = 0; m < n; m++)
        expect(inclusionProof(leafHashes, m, n).map(hex)).toStrictEqual(referencePath(m, tree).map(hex))
      for (let m = 1; m < n; m++)
        expect(consistencyProof(leafHashes, m, n).map(hex)).toStrictEqual(
          referenceSubproof(m, tree, true).map(hex),
        )
    }
  })

  test('out-of-range arguments are refused', () => {
    const leafHashes = entries(4).map(hashLeaf)
    expect(() => inclusionProof(leafHashes, 4, 4)).toThrow(RangeError)
    expect(() => inclusionProof(leafHashes, 0, 5)).toThrow(RangeError)
    expect(() => inclusionProof(leafHashes, -1, 3)).toThrow(RangeError)
    expect(() => consistencyProof(leafHashes, 3, 2)).toThrow(RangeError)
    expect(() => rootFromLeafHashes(leafHashes, 5)).toThrow(RangeError)
  })
})

describe('verification', () => {
  const leafHashes = entries(300).map(hashLeaf)
  const roots = Array.from({ length: 301 }, (_, n) => rootFromLeafHashes(leafHashes, n))
  const flip = (bytes: Uint8Array, at = 0) => {
    const copy = bytes.slice()
    copy[at % copy.length] = (copy[at % copy.length] as number) ^ 0x01
    return copy
  }
  const sizeAndIndex = fc
    .integer({ min: 1, max: 300 })
    .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })))

  test('any inclusion proof verifies, and fails for another leaf, index, size or root', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), ([size, index], noise) => {
        const leaf = leafHashes[index] as Uint8Array
        const root = roots[size] as Uint8Array
        const proof = inclusionProof(leafHashes, index, size)
        expect(verifyInclusionProof(leaf, index, size, proof, root)).toBe(true)
        expect(verifyInclusionProof(flip(leaf, noise), index, size, proof, root)).toBe(false)
        expect(verifyInclusionProof(leaf, index, size, proof, flip(root, noise))).toBe(false)
        if (size > 1) {
          const other = (index + 1 + (noise % (size - 1))) % size
          expect(verifyInclusionProof(leaf, other, size, proof, root)).toBe(false)
          expect(verifyInclusionProof(leafHashes[other] as Uint8Array, index, size, proof, root)).toBe(false)
          const at = noise % proof.length
          const tampered = proof.map((node, i) => (i === at ? flip(node, noise) : node))
          expect(verifyInclusionProof(leaf, index, size, tampered, root)).toBe(false)
          expect(verifyInclusionProof(leaf, index, size, proof.slice(1), root)).toBe(false)
        }
        expect(verifyInclusionProof(leaf, index, size, [...proof, root], root)).toBe(false)
        // The proof of a smaller tree cannot stand for the next one: it lacks the newest leaf.
        if (size < 300)
          expect(verifyInclusionProof(leaf, index, size + 1, proof, roots[size + 1] as Uint8Array)).toBe(
            false,
          )
      }),
      { numRuns: 500 },
    )
  })

  test('any consistency proof verifies, and fails when either root or the proof is altered', () => {
    const sizes = fc
      .integer({ min: 0, max: 300 })
      .chain((second) => fc.tuple(fc.integer({ min: 0, max: second }), fc.constant(second)))
    fc.assert(
      fc.property(sizes, fc.nat(), ([first, second], noise) => {
        const firstRoot = roots[first] as Uint8Array
        const secondRoot = roots[second] as Uint8Array
        const proof = consistencyProof(leafHashes, first, second)
        expect(verifyConsistencyProof(first, second, firstRoot, secondRoot, proof)).toBe(true)
        expect(verifyConsistencyProof(first, second, flip(firstRoot, noise), secondRoot, proof)).toBe(false)
        // The empty tree is a prefix of every tree, so from size 0 there is no second root to pin.
        expect(verifyConsistencyProof(first, second, firstRoot, flip(secondRoot, noise), proof)).toBe(
          first === 0 && second > 0,
        )
        if (proof.length > 0) {
          const at = noise % proof.length
          const tampered = proof.map((node, i) => (i === at ? flip(node, noise) : node))
          expect(verifyConsistencyProof(first, second, firstRoot, secondRoot, tampered)).toBe(false)
          expect(verifyConsistencyProof(first, second, firstRoot, secondRoot, proof.slice(0, -1))).toBe(false)
        }
        expect(verifyConsistencyProof(first, second, firstRoot, secondRoot, [...proof, secondRoot])).toBe(
          false,
        )
        if (second < 300)
          expect(
            verifyConsistencyProof(first, second + 1, firstRoot, roots[second + 1] as Uint8Array, proof),
          ).toBe(first === 0 && proof.length === 0)
      }),
      { numRuns: 500 },
    )
  })

  test('malformed input is not a proof, and never throws', () => {
    const leaf = leafHashes[0] as Uint8Array
    const root = roots[4] as Uint8Array
    const proof = inclusionProof(leafHashes, 0, 4)
    expect(verifyInclusionProof(leaf.subarray(1), 0, 4, proof, root)).toBe(false)
    expect(verifyInclusionProof(leaf, 0, 4, [proof[0] as Uint8Array, new Uint8Array(31)], root)).toBe(false)
    expect(verifyInclusionProof(leaf, 4, 4, proof, root)).toBe(false)
    expect(verifyInclusionProof(leaf, 0.5, 4, proof, root)).toBe(false)
    expect(verifyConsistencyProof(3, 2, root, root, [])).toBe(false)
    expect(verifyConsistencyProof(-1, 2, root, root, [])).toBe(false)
    expect(verifyConsistencyProof(2, 4, roots[2] as Uint8Array, root, [])).toBe(false)
    expect(verifyConsistencyProof(0, 4, roots[1] as Uint8Array, root, [])).toBe(false)
  })
})
