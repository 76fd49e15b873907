import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  consistencyProof,
  hashLeaf,
  inclusionProof,
  rootFromLeafHashes,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './merkle.js'
import { MerkleTree } from './merkleTree.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const leaves = (n: number) => Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`L${i}`)))

function treeOf(leafHashes: Uint8Array[]): MerkleTree {
  const tree = new MerkleTree()
  for (const leaf of leafHashes) tree.append(leaf)
  return tree
}

describe('MerkleTree', () => {
  test('the root after each append, and every past root, match the definition (sizes 0..70)', () => {
    const leafHashes = leaves(70)
    const tree = new MerkleTree()
    expect(hex(tree.root())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    for (const [i, leaf] of leafHashes.entries()) {
      expect(tree.append(leaf)).toBe(i)
      expect(tree.size).toBe(i + 1)
      expect(hex(tree.root())).toBe(hex(rootFromLeafHashes(leafHashes, i + 1)))
    }
    for (let n = 0; n <= 70; n++) expect(hex(tree.root(n))).toBe(hex(rootFromLeafHashes(leafHashes, n)))
    expect(hex(tree.root(8))).toBe('b70774ab4b8a8159950d886804e6d29fa1a51f306db62f257d81e2320cd65e4c')
    expect(hex(tree.leafHash(69))).toBe(hex(leafHashes[69] as Uint8Array))
  })

  test('proofs match the pure functions for every index and every pair of sizes up to 70', () => {
    const leafHashes = leaves(70)
    const tree = treeOf(leafHashes)
    for (let n = 1; n <= 70; n++) {
      for (let m = 0; m < n; m++) {
        expect(tree.inclusionProof(m, n).map(hex)).toStrictEqual(inclusionProof(leafHashes, m, n).map(hex))
      }
      for (let m = 0; m <= n; m++)
        expect(tree.consistencyProof(m, n).map(hex)).toStrictEqual(
          consistencyProof(leafHashes, m, n).map(hex),
        )
    }
  })

  test('any index of any size: the proof from the tree verifies against the tree root (fast-check)', () => {
    const leafHashes = leaves(300)
    const tree = treeOf(leafHashes)
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 }))),
        ([size, index]) => {
          const root = tree.root(size)
          expect(
            verifyInclusionProof(tree.leafHash(index), index, size, tree.inclusionProof(index, size), root),
          ).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 300 })
          .chain((second) => fc.tuple(fc.nat({ max: second }), fc.constant(second))),
        ([first, second]) => {
          const proof = tree.consistencyProof(first, second)
          expect(verifyConsistencyProof(first, second, tree.root(first), tree.root(second), proof)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('arguments outside the tree are refused', () => {
    const tree = treeOf(leaves(5))
    expect(() => tree.root(6)).toThrow(RangeError)
    expect(() => tree.inclusionProof(5)).toThrow(RangeError)
    expect(() => tree.inclusionProof(2, 2)).toThrow(RangeError)
    expect(() => tree.consistencyProof(2, 6)).toThrow(RangeError)
    expect(() => tree.consistencyProof(4, 3)).toThrow(RangeError)
    expect(() => tree.leafHash(5)).toThrow(RangeError)
    expect(() => tree.append(new Uint8Array(31))).toThrow(TypeError)
  })

  test('returned hashes are copies: changing one does not change the tree', () => {
    const tree = treeOf(leaves(4))
    const before = hex(tree.root())
    tree.root().fill(0)
    tree.leafHash(0).fill(0)
    for (const node of tree.inclusionProof(1)) node.fill(0)
    expect(hex(tree.root())).toBe(before)
  })

  test('100,000 appends stay cheap, and proofs at that size are O(log n) long and valid', () => {
    const tree = new MerkleTree()
    const leafHashes: Uint8Array[] = []
    for (let i = 0; i < 100_000; i++) {
      const leaf = hashLeaf(new TextEncoder().encode(`entry ${i}`))
      leafHashes.push(leaf)
      tree.append(leaf)
    }
    expect(hex(tree.root())).toBe(hex(rootFromLeafHashes(leafHashes)))
    expect(hex(tree.root(65_537))).toBe(hex(rootFromLeafHashes(leafHashes, 65_537)))
    const proof = tree.inclusionProof(77_777)
    expect(proof).toHaveLength(17)
    expect(verifyInclusionProof(leafHashes[77_777] as Uint8Array, 77_777, 100_000, proof, tree.root())).toBe(
      true,
    )
    const consistency = tree.consistencyProof(65_537)
    expect(verifyConsistencyProof(65_537, 100_000, tree.root(65_537), tree.root(), consistency)).toBe(true)
  })
})
