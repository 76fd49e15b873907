/**
 * CRC-32 as zlib, PNG and Ethernet compute it (reflected polynomial 0xEDB88320, initial value and
 * final XOR 0xFFFFFFFF), so `crc32('123456789')` is 0xCBF43926. Written here because Node 20 has
 * no zlib.crc32. It guards log frames against torn writes and bit rot; it is no defence against
 * tampering, which the Merkle tree and the signatures are for.
 */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (crc >>> 8) ^ (table[(crc ^ byte) & 0xff] as number)
  return (crc ^ 0xffffffff) >>> 0
}

const table = buildTable()

function buildTable(): Uint32Array {
  const entries = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    entries[n] = c >>> 0
  }
  return entries
}
