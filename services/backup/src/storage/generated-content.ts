import { createCipheriv, createHash } from 'node:crypto';
import type { BackupType } from '@chom/contracts';
import type { TarEntry } from './tar.js';

const CHUNK = 64 * 1024;

/**
 * `size` bytes that stand in for a site's data: an AES-CTR keystream keyed by the backup and
 * the file, so a re-run writes the same bytes (and the same checksum) and nothing compresses
 * them away (the archive's size follows the configured size).
 */
export async function* pseudoRandomBytes(seed: string, size: number): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  for (let left = size; left > 0; left -= CHUNK) {
    yield cipher.update(zeros.subarray(0, Math.min(CHUNK, left)));
  }
}

/** Which generated files a backup of each type holds, and their sizes out of `total`. */
export function generatedFiles(backupType: BackupType, total: number): Array<{ name: string; size: number }> {
  switch (backupType) {
    case 'database':
      return [{ name: 'database/dump.sql', size: total }];
    case 'files':
      return [{ name: 'files/site-files.bin', size: total }];
    case 'full': {
      const database = Math.floor(total / 4);
      return [
        { name: 'database/dump.sql', size: database },
        { name: 'files/site-files.bin', size: total - database },
      ];
    }
  }
}

export function bufferEntry(name: string, content: Buffer, mtime: Date): TarEntry {
  return {
    name,
    size: content.length,
    mtime,
    content: async function* () {
      yield content;
    },
  };
}

export function generatedEntry(seed: string, file: { name: string; size: number }, mtime: Date): TarEntry {
  return { ...file, mtime, content: () => pseudoRandomBytes(`${seed}/${file.name}`, file.size) };
}
