import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BackupOps, type BackupDownload } from '@chom/contracts';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BackupIdParams, bearer, errorResponses } from './schemas.js';
import type { GatewayInstance, RouteDeps } from './types.js';

/** The bytes of the archive; a stream is sent as it is, never serialized. */
const ArchiveBody = z.any().describe('the backup archive (tar.gz)');

/**
 * Streams a completed backup's archive. The backup service answers `backup.download` with the
 * archive's size and sha256, then one `backup.downloadChunk` per slice, each checked against
 * the caller's tenant; the gateway passes the bytes on as they come and checks the sha256 at
 * the end: on a mismatch (or a chunk that fails) it aborts the response, so a client never
 * takes a damaged archive for a whole one.
 */
export function downloadBackupRoute(app: GatewayInstance, deps: RouteDeps): void {
  app.get(
    '/backups/:id/download',
    {
      schema: {
        summary: "Download a completed backup's archive (application/gzip, a tar.gz)",
        description: 'The archive sha256 is in `X-Checksum-Sha256` (hex) and `Repr-Digest` (RFC 9530).',
        tags: ['backups'],
        security: bearer,
        params: BackupIdParams,
        response: { 200: ArchiveBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const backupId = request.params.id;
      const meta = await deps.services.call(request, BackupOps.download, { backupId });
      const digest = Buffer.from(meta.checksumSha256, 'hex').toString('base64');
      return reply
        .header('content-type', 'application/gzip')
        .header('content-length', String(meta.sizeBytes))
        .header('content-disposition', `attachment; filename="${meta.fileName}"`)
        .header('x-checksum-sha256', meta.checksumSha256)
        .header('repr-digest', `sha-256=:${digest}:`)
        .send(Readable.from(archiveChunks(deps, request, meta)));
    },
  );
}

async function* archiveChunks(deps: RouteDeps, request: FastifyRequest, meta: BackupDownload): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let offset = 0;
  while (offset < meta.sizeBytes) {
    const chunk = await deps.services.call(request, BackupOps.downloadChunk, {
      backupId: meta.backupId,
      offset,
      length: Math.min(meta.chunkBytes, meta.sizeBytes - offset),
    });
    const bytes = Buffer.from(chunk.data, 'base64');
    if (bytes.length === 0) throw new Error(`archive of backup ${meta.backupId} ended early at ${offset}`);
    hash.update(bytes);
    offset += bytes.length;
    // The last bytes go out only once the whole archive checked out: the client then never
    // receives Content-Length bytes of a damaged archive, the connection is cut short instead.
    if (offset >= meta.sizeBytes && hash.digest('hex') !== meta.checksumSha256) {
      throw new Error(`archive of backup ${meta.backupId}: checksum mismatch`);
    }
    yield bytes;
  }
}
