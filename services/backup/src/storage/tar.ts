/** One regular file of a tar archive; `content` yields its bytes, `size` in total. */
export interface TarEntry {
  name: string;
  size: number;
  mtime: Date;
  content: () => AsyncIterable<Buffer>;
}

const BLOCK = 512;

function field(header: Buffer, value: string, offset: number, length: number): void {
  header.write(value, offset, Math.min(Buffer.byteLength(value), length), 'utf8');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** A POSIX ustar header for a regular file (names up to 100 bytes, sizes under 8 GiB). */
export function tarHeader(entry: Pick<TarEntry, 'name' | 'size' | 'mtime'>): Buffer {
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar entry name too long: ${entry.name}`);
  if (entry.size >= 8 ** 11) throw new Error(`tar entry too large: ${entry.name}`);
  const header = Buffer.alloc(BLOCK);
  field(header, entry.name, 0, 100);
  field(header, octal(0o644, 8), 100, 8);
  field(header, octal(0, 8), 108, 8);
  field(header, octal(0, 8), 116, 8);
  field(header, octal(entry.size, 12), 124, 12);
  field(header, octal(Math.floor(entry.mtime.getTime() / 1000), 12), 136, 12);
  field(header, '        ', 148, 8);
  field(header, '0', 156, 1);
  field(header, 'ustar\0', 257, 6);
  field(header, '00', 263, 2);
  field(header, 'chom', 265, 32);
  field(header, 'chom', 297, 32);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(header, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return header;
}

/** The archive's bytes, entry by entry, then the two zero blocks that end it. */
export async function* tarStream(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield tarHeader(entry);
    let written = 0;
    for await (const chunk of entry.content()) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) throw new Error(`tar entry ${entry.name}: ${written} bytes, announced ${entry.size}`);
    const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(2 * BLOCK);
}
