/** One regular file of a tar archive. */
export type TarEntry = {
  /** Relative path with `/` separators, as written in the archive without a leading `/`. */
  name: string
  data: Uint8Array
}

/** Raised for an archive that is not a plain ustar archive of regular files. */
export class TarArchiveError extends Error {
  override readonly name = 'TarArchiveError'
}

const blockSize = 512
/** Keeps a hostile archive from making the reader do unbounded work. */
const maxEntries = 10_000

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads a ustar archive, the format `opa build` writes bundles in, strictly. It accepts only
 * regular files, each with a valid header checksum, a relative name without `.` or `..`
 * segments, and a name no other entry has; it requires the end-of-archive marker and only
 * zeros after it. Links, directories, devices, and pax or GNU extension headers are refused
 * rather than skipped, since a bundle never needs them and skipping is where tar readers
 * have historically been tricked.
 */
export function readTarArchive(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = []
  const names = new Set<string>()
  let offset = 0
  while (true) {
    if (offset + blockSize > archive.length) throw new TarArchiveError('archive ends without its end marker')
    const header = archive.subarray(offset, offset + blockSize)
    if (isZeroBlock(header)) {
      const next = archive.subarray(offset + blockSize, offset + 2 * blockSize)
      if (next.length < blockSize || !isZeroBlock(next))
        throw new TarArchiveError('archive ends without its end marker')
      if (!isZeroBlock(archive.subarray(offset + 2 * blockSize)))
        throw new TarArchiveError('archive has data after its end marker')
      return entries
    }
    if (entries.length === maxEntries)
      throw new TarArchiveError(`archive has more than ${maxEntries} entries`)
    const entry = readHeader(header, offset)
    const dataStart = offset + blockSize
    const dataEnd = dataStart + entry.size
    if (dataEnd > archive.length) throw new TarArchiveError(`${entry.name}: archive ends inside the file`)
    if (names.has(entry.name)) throw new TarArchiveError(`${entry.name}: appears twice`)
    names.add(entry.name)
    entries.push({ name: entry.name, data: archive.slice(dataStart, dataEnd) })
    offset = dataStart + Math.ceil(entry.size / blockSize) * blockSize
  }
}

function readHeader(header: Uint8Array, offset: number): { name: string; size: number } {
  const where = `header at byte ${offset}`
  const stored = readOctal(header.subarray(148, 156), `${where}: checksum`)
  if (stored !== headerChecksum(header)) throw new TarArchiveError(`${where}: checksum does not match`)

  // POSIX ustar writes "ustar\0" "00"; GNU tar writes "ustar " " \0" for the same layout.
  const magic = text(header.subarray(257, 265), `${where}: magic`)
  if (magic !== 'ustar\u000000' && magic !== 'ustar  \u0000')
    throw new TarArchiveError(`${where}: not a ustar header`)

  const rawName = joinName(
    cString(header.subarray(345, 500), `${where}: prefix`),
    cString(header.subarray(0, 100), `${where}: name`),
  )
  const type = String.fromCharCode(header[156] ?? 0)
  if (type !== '0' && type !== '\u0000')
    throw new TarArchiveError(`${rawName}: entry type ${JSON.stringify(type)} is not a regular file`)
  const name = normalizeName(rawName, where)
  const size = readOctal(header.subarray(124, 136), `${name}: size`)
  return { name, size }
}

function joinName(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`
}

/** Bundles name files `/policy.wasm`; the leading `/` means the bundle root, nothing more. */
function normalizeName(raw: string, where: string): string {
  const name = raw.startsWith('/') ? raw.slice(1) : raw
  const segments = name.split('/')
  const unsafe = segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  if (unsafe || name.includes('\\')) throw new TarArchiveError(`${where}: unsafe name ${JSON.stringify(raw)}`)
  return name
}

/** The header's bytes summed with the checksum field counted as eight spaces. */
function headerChecksum(header: Uint8Array): number {
  let sum = 0
  for (let index = 0; index < blockSize; index++) {
    sum += index >= 148 && index < 156 ? 0x20 : (header[index] ?? 0)
  }
  return sum
}

/** An octal number, NUL- or space-terminated. Base-256 sizes (over 8 GiB) are refused. */
function readOctal(field: Uint8Array, what: string): number {
  const digits = cString(field, what).trimEnd()
  if (!/^[0-7]{1,11}$/.test(digits)) throw new TarArchiveError(`${what} is not an octal number`)
  return Number.parseInt(digits, 8)
}

function cString(field: Uint8Array, what: string): string {
  const end = field.indexOf(0)
  return text(end === -1 ? field : field.subarray(0, end), what)
}

function text(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes)
  } catch {
    throw new TarArchiveError(`${what} is not UTF-8`)
  }
}

function isZeroBlock(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0)
}
