import { readFile } from 'node:fs/promises'
import { type Address, getAddress, isAddress } from 'viem'
import { z } from 'zod'

/** EntryPoint v0.7 at its canonical address on every chain (and in anvil-fixtures/). */
export const ENTRY_POINT_V07: Address = '0x0000000071727De22E5E9d8BAf0edAc6f37da032'
/** SimpleAccountFactory v0.7 at its canonical address. */
export const SIMPLE_ACCOUNT_FACTORY_V07: Address = '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985'
/** Arachnid's deterministic CREATE2 deployer (Anvil predeploys it). Calldata is salt (32 bytes) ++ initcode. */
export const DETERMINISTIC_DEPLOYER: Address = '0x4e59b44847b379578588920ca78fbf26c0b4956c'
/** CREATE2 salt that puts the npm EntryPoint v0.7 bytecode at ENTRY_POINT_V07. */
export const ENTRY_POINT_V07_SALT = '0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3'
/**
 * CREATE2 salt that puts the npm SimpleAccountFactory v0.7 (constructed with ENTRY_POINT_V07) at
 * SIMPLE_ACCOUNT_FACTORY_V07. It is zero, not the EntryPoint salt: that one yields a different address.
 */
export const SIMPLE_ACCOUNT_FACTORY_V07_SALT = `0x${'00'.repeat(32)}` as const

const addressSchema = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), { message: 'not a 20-byte hex address' })
  .transform((value): Address => getAddress(value))

/** Layout of anvil-fixtures/addresses.json; bump `fixtureVersion` in scripts/buildFixtures.ts when it changes. */
export const chainAddressesSchema = z.object({
  fixtureVersion: z.literal(1),
  chainId: z.number().int().positive(),
  entryPoint: addressSchema,
  simpleAccountFactory: addressSchema,
  forwarder: addressSchema,
  paymaster: addressSchema,
  paymasterSigner: addressSchema,
  paymasterOwner: addressSchema,
  targets: z.object({
    communityPoll: addressSchema,
    demoToken: addressSchema,
    demoBadge: addressSchema,
  }),
})

export type ChainAddresses = z.infer<typeof chainAddressesSchema>

/**
 * Reads and validates an addresses file such as anvil-fixtures/addresses.json. Addresses come back checksummed.
 * Throws when the file is missing, is not JSON, or does not match {@link chainAddressesSchema}.
 */
export async function loadChainAddresses(path: string): Promise<ChainAddresses> {
  const text = await readFile(path, 'utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new Error(`${path} is not valid JSON`, { cause })
  }
  const parsed = chainAddressesSchema.safeParse(json)
  if (!parsed.success) {
    throw new Error(`${path} is not a valid addresses file:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    })
  }
  return parsed.data
}
