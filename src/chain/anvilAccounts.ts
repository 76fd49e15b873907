import type { Address, Hex } from 'viem'

/**
 * Anvil's default dev accounts, derived from the public mnemonic
 * "test test test test test test test test test test test junk". Everyone knows these keys: they exist for
 * local chains and tests, and anything sent to them on a real network is taken at once.
 */
export const ANVIL_DEV_MNEMONIC = 'test test test test test test test test test test test junk'

export type AnvilDevAccount = { readonly address: Address; readonly privateKey: Hex }

export const anvilDevAccounts = [
  {
    address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  },
  {
    address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  },
  {
    address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  },
  {
    address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  },
] as const satisfies readonly AnvilDevAccount[]

/** Roles the fixture gives the dev accounts; anvil-fixtures/addresses.json records the resulting addresses. */
export const fixtureAccounts = {
  /** Deploys every fixture contract and owns the paymaster. */
  deployer: anvilDevAccounts[0],
  /** Dev-only paymaster signing key: the gateway signs paymasterAndData with it in dev and tests. */
  paymasterSigner: anvilDevAccounts[1],
} as const
