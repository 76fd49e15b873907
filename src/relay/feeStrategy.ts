/**
 * EIP-1559 fees for relayed transactions, as pure functions of the chain's fee estimate, the
 * previous attempt and the template's cap. No I/O: the worker reads the base fee and the priority
 * fee estimate and passes them in.
 */

/** The two fee fields of an EIP-1559 transaction, in wei per gas. */
export type Eip1559Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

/** What the chain suggests now: the pending block's base fee and a priority fee (eth_maxPriorityFeePerGas). */
export type FeeEstimate = { baseFeePerGas: bigint; priorityFeePerGas: bigint }

export type InitialFeesParameters = FeeEstimate & {
  /** The template's maxFeePerGas, fixed at admission: the relayer never pays more per gas for the request. */
  capPerGas: bigint
  /**
   * Headroom over the base fee, in whole multiples. 2 keeps a transaction includable through about
   * six consecutive full blocks (each may raise the base fee by 12.5%) without a replacement.
   */
  baseFeeMultiplier?: bigint
}

export type InitialFeesReturnType =
  | { kind: 'send'; fees: Eip1559Fees; capped: boolean }
  /** The cap is below the base fee: a node would refuse the transaction (fee-cap-too-low) now. */
  | { kind: 'cap-below-base-fee'; capPerGas: bigint; baseFeePerGas: bigint }

/**
 * Fees for a first broadcast: `baseFee * multiplier + priorityFee`, lowered to the cap when it is
 * above it, with the priority fee never above the max fee (nodes refuse a tip above the fee cap).
 */
export function initialFees(parameters: InitialFeesParameters): InitialFeesReturnType {
  const { baseFeePerGas, priorityFeePerGas, capPerGas, baseFeeMultiplier = 2n } = parameters
  assertNonNegative({ baseFeePerGas, priorityFeePerGas, capPerGas })
  if (capPerGas < baseFeePerGas) return { kind: 'cap-below-base-fee', capPerGas, baseFeePerGas }
  const wanted = baseFeePerGas * baseFeeMultiplier + priorityFeePerGas
  const maxFeePerGas = min(wanted, capPerGas)
  const maxPriorityFeePerGas = min(priorityFeePerGas, maxFeePerGas)
  return { kind: 'send', fees: { maxFeePerGas, maxPriorityFeePerGas }, capped: wanted > capPerGas }
}

/**
 * Fees that pay the whole cap, for a transaction whose cap is below the base fee: it waits in the
 * pool until the base fee falls to it, or the monitor replaces or cancels it.
 */
export function feesAtCap(capPerGas: bigint, priorityFeePerGas: bigint): Eip1559Fees {
  return { maxFeePerGas: capPerGas, maxPriorityFeePerGas: min(priorityFeePerGas, capPerGas) }
}

export type BumpFeesOptions = {
  /** The template's maxFeePerGas: a replacement of the request's transaction may not exceed it. */
  capPerGas: bigint
  /**
   * Highest maxPriorityFeePerGas a replacement may carry (a bundle's op pays the relayer back no
   * more than its own tip); none by default.
   */
  tipCapPerGas?: bigint
  /**
   * The smallest raise nodes accept for a replacement, applied to both fields and rounded up.
   * geth, erigon and reth refuse less than 10%; 12.5% also clears Nethermind and many RPC providers.
   */
  minBumpPercent?: number
  /** The chain's fees now; when the market moved more than the minimum bump, follow the market. */
  estimate?: FeeEstimate
  baseFeeMultiplier?: bigint
}

export type BumpFeesReturnType =
  | { kind: 'replace'; fees: Eip1559Fees }
  /**
   * A replacement within the cap is impossible. Send a 0-value self-transfer with `cancelFees` at the
   * same nonce: it is a valid replacement (it carries the minimum bump), and it costs 21,000 gas at
   * the relayer's expense instead of leaving the nonce, and every nonce after it, stuck.
   */
  | { kind: 'cancel'; cancelFees: Eip1559Fees }

/**
 * Fees for a replacement of `previous` at the same nonce. Both fields rise by at least
 * `minBumpPercent`, rounded up, because nodes compare each field separately with the rule
 * `new >= old * (100 + percent) / 100`.
 */
export function bumpFees(previous: Eip1559Fees, options: BumpFeesOptions): BumpFeesReturnType {
  const { capPerGas, minBumpPercent = 12.5, estimate, baseFeeMultiplier = 2n } = options
  const tipCapPerGas = options.tipCapPerGas ?? capPerGas
  assertNonNegative({ ...previous, capPerGas })
  if (previous.maxPriorityFeePerGas > previous.maxFeePerGas) {
    throw new RangeError('previous fees have a priority fee above the max fee')
  }
  const minimum: Eip1559Fees = {
    maxFeePerGas: raiseByPercent(previous.maxFeePerGas, minBumpPercent),
    maxPriorityFeePerGas: raiseByPercent(previous.maxPriorityFeePerGas, minBumpPercent),
  }
  if (minimum.maxFeePerGas > capPerGas || minimum.maxPriorityFeePerGas > tipCapPerGas) {
    return { kind: 'cancel', cancelFees: minimum }
  }
  if (estimate === undefined) return { kind: 'replace', fees: minimum }

  // Follow the market up to the cap, but never below the minimum bump.
  const marketTip = min(max(minimum.maxPriorityFeePerGas, estimate.priorityFeePerGas), tipCapPerGas)
  const marketMax = max(minimum.maxFeePerGas, estimate.baseFeePerGas * baseFeeMultiplier + marketTip)
  const maxFeePerGas = min(marketMax, capPerGas)
  const maxPriorityFeePerGas = min(marketTip, maxFeePerGas)
  // Lowering the tip to fit the fee cap may not undo the minimum bump on the tip.
  if (maxPriorityFeePerGas < minimum.maxPriorityFeePerGas) return { kind: 'cancel', cancelFees: minimum }
  return { kind: 'replace', fees: { maxFeePerGas, maxPriorityFeePerGas } }
}

/**
 * `ceil(value * (100 + percent) / 100)` in exact integer arithmetic. The percentage may have up to
 * two decimals (12.5, 10, 12.75), which covers every replacement rule in use.
 */
export function raiseByPercent(value: bigint, percent: number): bigint {
  const basisPoints = Math.round(percent * 100)
  if (!Number.isFinite(percent) || percent < 0 || Math.abs(basisPoints - percent * 100) > 1e-6) {
    throw new RangeError(
      `minBumpPercent must be a non-negative number with at most two decimals, got ${percent}`,
    )
  }
  const scaled = value * BigInt(10_000 + basisPoints)
  const raised = (scaled + 9_999n) / 10_000n
  // A zero fee stays zero under any percentage; a replacement still needs a strictly higher one.
  return raised === value && basisPoints > 0 ? value + 1n : raised
}

// Math.min and Math.max do not take bigints.
function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}

function assertNonNegative(values: Record<string, bigint>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value < 0n) throw new RangeError(`${name} must not be negative`)
  }
}
