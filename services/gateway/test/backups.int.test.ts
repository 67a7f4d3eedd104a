import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, BackupOps } from '@chom/contracts';
import { endpoint, serveEndpoints, type EndpointServer } from '@chom/messaging';
import { createLogger } from '@chom/telemetry';
import type { GatewayInstance } from '../src/routes/types.js';
import { bearer, randomSpace, startHarness, type Harness } from './harness.js';

const archive = randomBytes(700_000);
const sha = createHash('sha256').update(archive).digest('hex');
const backupId = randomUUID();
const chunkCalls: number[] = [];
let corrupt = false;

let h: Harness;
let server: EndpointServer;
let app: GatewayInstance;
let url: string;

beforeAll(async () => {
  h = await startHarness();
  const space = randomSpace();
  const owned = (tenantId: string, id: string) => {
    if (tenantId !== 't_owner' || id !== backupId) throw new AppError('BACKUP_NOT_FOUND', 'not found');
  };
  server = serveEndpoints(
    h.nc,
    space,
    [
      endpoint(BackupOps.download, async ({ ctx, backupId: id }) => {
        owned(ctx.tenantId, id);
        return {
          backupId,
          fileName: `b-${backupId}.tar.gz`,
          sizeBytes: archive.length,
          checksumSha256: sha,
          chunkBytes: 100_000,
        };
      }),
      endpoint(BackupOps.downloadChunk, async ({ ctx, backupId: id, offset, length }) => {
        owned(ctx.tenantId, id);
        chunkCalls.push(offset);
        const bytes = Buffer.from(archive.subarray(offset, offset + length));
        if (corrupt && offset > 0) bytes[0] = (bytes[0] ?? 0) ^ 0xff;
        return { offset, data: bytes.toString('base64') };
      }),
    ],
    createLogger({ service: 'backup-stub', level: 'silent' }),
  );
  await h.nc.flush();
  app = h.extraApp({}, space);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await server?.drain();
  await h?.close();
});

describe('GET /api/v1/backups/:id/download', () => {
  it('streams the archive chunk by chunk with its size, name and checksum', async () => {
    chunkCalls.length = 0;
    const response = await fetch(`${url}/api/v1/backups/${backupId}/download`, { headers: await bearer('t_owner') });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-length')).toBe(String(archive.length));
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="b-${backupId}.tar.gz"`);
    expect(response.headers.get('x-checksum-sha256')).toBe(sha);
    expect(response.headers.get('repr-digest')).toBe(`sha-256=:${Buffer.from(sha, 'hex').toString('base64')}:`);
    expect(Buffer.from(await response.arrayBuffer()).equals(archive)).toBe(true);
    expect(chunkCalls).toEqual([0, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000]);
  });

  it("is another tenant's 404, with the one error shape", async () => {
    const response = await fetch(`${url}/api/v1/backups/${backupId}/download`, { headers: await bearer('t_intruder') });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BACKUP_NOT_FOUND');
  });

  it('aborts the response when the bytes do not match the checksum', async () => {
    corrupt = true;
    try {
      const response = await fetch(`${url}/api/v1/backups/${backupId}/download`, { headers: await bearer('t_owner') });
      expect(response.status).toBe(200);
      await expect(response.arrayBuffer()).rejects.toThrow();
    } finally {
      corrupt = false;
    }
  });
});
