import {
  consistencyPath,
  emptyTreeRoot,
  type Hash,
  hashBytes,
  hashChildren,
  inclusionPath,
  splitPoint,
} from './merkle.js'

/**
 * An append-only RFC 9162 Merkle tree held in memory.
 *
 * It keeps the hash of every perfect subtree: level h holds one hash per aligned run of 2^h
 * leaves. An append adds the leaf and every perfect subtree it completes, which is O(1) amortized
 * and O(log n) at worst. Every range the RFC recursion visits is a run of perfect subtrees down its
 * left side plus one ragged right edge, so a root at any past size costs O(log n) hashes and a
 * proof O(log² n), whatever the size. The price is memory: about 64 bytes per leaf, in flat
 * buffers rather than one object per hash.
 */
export class MerkleTree {
  readonly #levels: HashColumn[] = []
  #size = 0

  /** Number of leaves. */
  get size(): number {
    return this.#size
  }

  /** Appends one leaf hash (see `hashLeaf`) and returns its index. */
  append(leafHash: Hash): number {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== hashBytes)
      throw new TypeError('a leaf hash is 32 bytes')
    const index = this.#size
    this.#column(0).push(leafHash)
    // Each odd position closes a pair, whose parent may in turn close a pair one level up.
    let position = index
    let level = 0
    let node: Uint8Array = leafHash
    while (position % 2 === 1) {
      node = hashChildren(this.#column(level).view(position - 1), node)
      level += 1
      position = (position - 1) / 2
      this.#column(level).push(node)
    }
    this.#size += 1
    return index
  }

  /** The leaf hash at `index`. */
  leafHash(index: number): Hash {
    this.#assertIndex(index, this.#size)
    return this.#column(0).view(index).slice()
  }

  /** MTH of the first `size` leaves: the current root by default, or the root the tree had at `size`. */
  root(size = this.#size): Hash {
    this.#assertSize(size)
    if (size === 0) return emptyTreeRoot()
    return this.#subtree(0, size).slice()
  }

  /** The inclusion proof of leaf `index` in the tree of the first `size` leaves. */
  inclusionProof(index: number, size = this.#size): Hash[] {
    this.#assertSize(size)
    this.#assertIndex(index, size)
    return inclusionPath((start, end) => this.#subtree(start, end).slice(), index, size)
  }

  /** The consistency proof from the tree of `first` leaves to that of `second` (the current size by default). */
  consistencyProof(first: number, second = this.#size): Hash[] {
    this.#assertSize(second)
    return consistencyPath((start, end) => this.#subtree(start, end).slice(), first, second)
  }

  /** MTH(D[start:end]): a cached hash when the range is one perfect subtree, else split as the RFC does. */
  #subtree(start: number, end: number): Uint8Array {
    const count = end - start
    const level = perfectLevel(count)
    if (level >= 0 && start % count === 0) return this.#column(level).view(start / count)
    const k = splitPoint(count)
    return hashChildren(this.#subtree(start, start + k), this.#subtree(start + k, end))
  }

  #column(level: number): HashColumn {
    let column = this.#levels[level]
    if (!column) {
      column = new HashColumn()
      this.#levels[level] = column
    }
    return column
  }

  #assertSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#size)
      throw new RangeError(`size ${size} is outside 0..${this.#size}`)
  }

  #assertIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new RangeError(`index ${index} is outside a tree of ${size} leaves`)
  }
}

/** log2 of `count` when it is a power of two, else -1. */
function perfectLevel(count: number): number {
  let level = 0
  let rest = count
  while (rest > 1 && rest % 2 === 0) {
    rest /= 2
    level += 1
  }
  return rest === 1 ? level : -1
}

/** A growable array of 32-byte hashes in one buffer, doubling as it fills. */
class HashColumn {
  #bytes = new Uint8Array(hashBytes * 64)
  #count = 0

  push(hash: Uint8Array): void {
    const offset = this.#count * hashBytes
    if (offset + hashBytes > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2)
      grown.set(this.#bytes)
      this.#bytes = grown
    }
    this.#bytes.set(hash, offset)
    this.#count += 1
  }

  /** A view, not a copy: callers inside the tree only hash it; public accessors copy. */
  view(index: number): Uint8Array {
    const offset = index * hashBytes
    return this.#bytes.subarray(offset, offset + hashBytes)
  }
}
