import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bufferEntry, generatedFiles, pseudoRandomBytes } from './generated-content.js';
import { tarHeader, tarStream } from './tar.js';

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

describe('tar writer', () => {
  it('writes a ustar header with a valid checksum', () => {
    const header = tarHeader({ name: 'manifest.json', size: 10, mtime: new Date(0) });
    expect(header.length).toBe(512);
    expect(header.subarray(257, 262).toString()).toBe('ustar');
    expect(header.subarray(124, 135).toString()).toBe('00000000012');
    const stored = parseInt(header.subarray(148, 154).toString(), 8);
    const blanked = Buffer.from(header);
    blanked.fill(0x20, 148, 156);
    expect(stored).toBe(blanked.reduce((sum, b) => sum + b, 0));
  });

  it('pads entries to blocks and ends with two zero blocks', async () => {
    const archive = await collect(tarStream([bufferEntry('a.txt', Buffer.from('hello'), new Date(0))]));
    expect(archive.length).toBe(512 + 512 + 1024);
    expect(archive.subarray(512, 517).toString()).toBe('hello');
    expect(archive.subarray(1024).every((b) => b === 0)).toBe(true);
    expect(gunzipSync(gzipSync(archive)).equals(archive)).toBe(true);
  });

  it('refuses names over 100 bytes and entries whose content does not match their size', async () => {
    expect(() => tarHeader({ name: 'x'.repeat(101), size: 0, mtime: new Date(0) })).toThrow(/too long/);
    const liar = { ...bufferEntry('b', Buffer.from('abc'), new Date(0)), size: 4 };
    await expect(collect(tarStream([liar]))).rejects.toThrow(/3 bytes, announced 4/);
  });
});

describe('generated content', () => {
  it('is deterministic per seed and exactly the asked size', async () => {
    const a = await collect(pseudoRandomBytes('seed', 100_000));
    expect(a.length).toBe(100_000);
    expect((await collect(pseudoRandomBytes('seed', 100_000))).equals(a)).toBe(true);
    expect((await collect(pseudoRandomBytes('other', 100_000))).equals(a)).toBe(false);
  });

  it('splits sizes by backup type', () => {
    expect(generatedFiles('database', 100)).toEqual([{ name: 'database/dump.sql', size: 100 }]);
    expect(generatedFiles('files', 100)).toEqual([{ name: 'files/site-files.bin', size: 100 }]);
    expect(generatedFiles('full', 100).reduce((n, f) => n + f.size, 0)).toBe(100);
  });
});
