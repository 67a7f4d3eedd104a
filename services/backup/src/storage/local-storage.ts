import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, statfs } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { BackupType } from '@chom/contracts';
import { bufferEntry, generatedEntry, generatedFiles } from './generated-content.js';
import { StorageError, type ArchiveRequest, type BackupStorage, type StoredArchive } from './storage.js';
import { tarStream } from './tar.js';

export interface LocalStorageOptions {
  directory: string;
  workMs: number;
  sizes: Record<BackupType, number>;
  wait?: (ms: number) => Promise<unknown>;
}

const PARTIAL = '.partial';

/**
 * Archives on the local file system: `<directory>/<tenant>/<site>/<backup>.tar.gz`. An archive
 * is written under a temporary name, synced, then renamed into place, so its name only ever
 * points at a whole archive and a re-run replaces it; leftovers of a crashed run are removed
 * when the backup is written again.
 */
export class LocalBackupStorage implements BackupStorage {
  readonly #options: Required<LocalStorageOptions>;
  readonly #root: string;

  constructor(options: LocalStorageOptions) {
    this.#options = { wait: sleep, ...options };
    this.#root = resolve(options.directory);
  }

  async freeBytes(): Promise<number> {
    await mkdir(this.#root, { recursive: true });
    const stats = await statfs(this.#root);
    return stats.bavail * stats.bsize;
  }

  async write(request: ArchiveRequest): Promise<StoredArchive> {
    const location = `${request.tenantId}/${request.siteId}/${request.backupId}.tar.gz`;
    const target = this.#path(location);
    const directory = dirname(target);
    try {
      await mkdir(directory, { recursive: true });
      await this.#removeLeftovers(directory, request.backupId);
      if (this.#options.workMs > 0) await this.#options.wait(this.#options.workMs);
      const temporary = join(directory, `.${request.backupId}.${randomBytes(4).toString('hex')}${PARTIAL}`);
      const { sizeBytes, checksumSha256 } = await this.#writeArchive(temporary, request);
      await rename(temporary, target);
      await syncDirectory(directory);
      return { location, sizeBytes, checksumSha256 };
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new StorageError(`Archive could not be written${code ? ` (${code})` : ''}`, { cause: error });
    }
  }

  async read(location: string, offset: number, length: number): Promise<Buffer> {
    const file = await open(this.#path(location), 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  async remove(location: string): Promise<void> {
    await rm(this.#path(location), { force: true });
  }

  /** Resolves a location inside the root; anything that would leave it is refused. */
  #path(location: string): string {
    const path = resolve(this.#root, location);
    const inside = relative(this.#root, path);
    if (!inside || inside.startsWith('..') || inside.startsWith(sep))
      throw new StorageError('Invalid archive location');
    return path;
  }

  async #removeLeftovers(directory: string, backupId: string): Promise<void> {
    for (const name of await readdir(directory)) {
      if (name.startsWith(`.${backupId}.`) && name.endsWith(PARTIAL)) await rm(join(directory, name), { force: true });
    }
  }

  async #writeArchive(path: string, request: ArchiveRequest): Promise<{ sizeBytes: number; checksumSha256: string }> {
    const mtime = request.requestedAt;
    const manifest = {
      format: 'chom-backup/1',
      backupId: request.backupId,
      tenantId: request.tenantId,
      siteId: request.siteId,
      domain: request.domain,
      siteType: request.siteType,
      backupType: request.backupType,
      requestedAt: request.requestedAt.toISOString(),
      files: generatedFiles(request.backupType, this.#options.sizes[request.backupType]),
    };
    const entries = [
      bufferEntry('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mtime),
      ...manifest.files.map((file) => generatedEntry(request.backupId, file, mtime)),
    ];
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(tarStream(entries), createGzip(), measure, createWriteStream(path, { flags: 'wx' }));
    const file = await open(path, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    return { sizeBytes, checksumSha256: hash.digest('hex') };
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
