import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestStack } from './harness.js';
import { activeSite, auditActions, backupStatus, requestBackup, run, type Call } from './backup-support.js';

// The backup lifecycle through the gateway, against the services started as real processes.
describe('backups through the gateway', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;
  let call: Call;
  let other: Call;

  beforeAll(async () => {
    env = await startTestStack('backup', {
      site: { PROVISION_DURATION_MS: '20' },
      backup: { BACKUP_WORK_MS: '20', BACKUP_SIZE_FULL_BYTES: String(600 * 1024) },
    });
    call = api(env.stack, await env.stack.token({ tenant: 't_backup', user: 'u_alice' }));
    other = api(env.stack, await env.stack.token({ tenant: 't_other', user: 'u_bob' }));
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  /** Restarts the backup service with `changes` on top of its environment. */
  async function restartBackup(changes: Record<string, string>) {
    await env.stack.stopService('backup');
    env.config.extraEnv.backup = { ...env.config.extraEnv.backup, ...changes };
    await env.stack.startService('backup');
  }

  it('backs a site up, serves the archive with its checksum, and audits it', async () => {
    const siteId = await activeSite(call, 'shop.backup.example.com');
    const pending = await requestBackup(call, siteId, 'full');
    expect(pending).toMatchObject({ status: 'pending', siteId, backupType: 'full', tenantId: 't_backup' });
    await expect.poll(() => backupStatus(call, pending.id), { timeout: 10_000, interval: 50 }).toBe('completed');
    const backup = (await call('GET', `/api/v1/backups/${pending.id}`)).body as {
      sizeBytes: number;
      checksumSha256: string;
      durationSeconds: number;
    };
    expect(backup.sizeBytes).toBeGreaterThan(600 * 1024);
    expect(backup.checksumSha256).toMatch(/^[0-9a-f]{64}$/);

    const token = await env.stack.token({ tenant: 't_backup' });
    const download = await fetch(`${env.stack.gatewayUrl}/api/v1/backups/${pending.id}/download`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/gzip');
    expect(Number(download.headers.get('content-length'))).toBe(backup.sizeBytes);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.tar\.gz"$/);
    expect(download.headers.get('x-checksum-sha256')).toBe(backup.checksumSha256);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(backup.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(backup.checksumSha256);

    const dir = await mkdtemp(join(tmpdir(), 'chom-e2e-unpack-'));
    try {
      await writeFile(join(dir, 'backup.tar.gz'), bytes);
      await run('tar', ['-xzf', 'backup.tar.gz'], { cwd: dir });
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest).toMatchObject({ backupId: pending.id, siteId, domain: 'shop.backup.example.com' });
      expect((await readFile(join(dir, 'files', 'site-files.bin'))).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    await expect
      .poll(() => auditActions(call, pending.id), { timeout: 5000, interval: 100 })
      .toEqual(['backup.completed', 'backup.created']);
    const list = await call('GET', `/api/v1/sites/${siteId}/backups`);
    expect((list.body?.items as { id: string }[]).map((b) => b.id)).toEqual([pending.id]);

    // Another tenant sees none of it.
    expect((await other('GET', `/api/v1/backups/${pending.id}`)).status).toBe(404);
    expect((await other('GET', `/api/v1/backups/${pending.id}/download`)).status).toBe(404);
    expect((await other('GET', `/api/v1/sites/${siteId}/backups`)).status).toBe(404);
    expect((await other('POST', `/api/v1/sites/${siteId}/backups`, {})).status).toBe(404);
  });

  it("fails with 'Insufficient disk space' below the configured minimum, audited as an error", async () => {
    await restartBackup({ BACKUP_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) });
    const siteId = await activeSite(call, 'full-disk.backup.example.com');
    const { id } = await requestBackup(call, siteId, 'database');
    await expect.poll(() => backupStatus(call, id), { timeout: 10_000, interval: 50 }).toBe('failed');
    expect((await call('GET', `/api/v1/backups/${id}`)).body).toMatchObject({
      errorMessage: 'Insufficient disk space',
      sizeBytes: null,
    });
    expect((await call('GET', `/api/v1/backups/${id}/download`)).status).toBe(409);
    await expect
      .poll(
        async () => {
          const page = await call('GET', `/api/v1/audit-logs?resourceId=${id}&action=backup.failed`);
          return ((page.body?.items as { severity: string }[]) ?? []).map((e) => e.severity);
        },
        { timeout: 5000, interval: 100 },
      )
      .toEqual(['error']);
  });

  it("answers 404 for a deleted site's backups and fails its pending backup with 'Site deleted'", async () => {
    // One backup at a time, each taking a while: the second one waits, pending.
    await restartBackup({ BACKUP_MIN_FREE_BYTES: '0', BACKUP_WORK_MS: '1500', BACKUP_RUNNER_CONCURRENCY: '1' });
    const [busySite, doomedSite] = [
      await activeSite(call, 'busy.backup.example.com'),
      await activeSite(call, 'doomed.backup.example.com'),
    ];
    const busy = await requestBackup(call, busySite);
    await expect.poll(() => backupStatus(call, busy.id), { timeout: 5000, interval: 20 }).toBe('running');
    const doomed = await requestBackup(call, doomedSite);
    expect(await backupStatus(call, doomed.id)).toBe('pending');

    expect((await call('DELETE', `/api/v1/sites/${doomedSite}`)).status).toBe(200);
    await expect.poll(() => backupStatus(call, doomed.id), { timeout: 5000, interval: 20 }).toBe('failed');
    expect((await call('GET', `/api/v1/backups/${doomed.id}`)).body?.errorMessage).toBe('Site deleted');
    const again = await call('POST', `/api/v1/sites/${doomedSite}/backups`, { backupType: 'full' });
    expect(again.status).toBe(404);
    expect((again.body?.error as { code: string }).code).toBe('SITE_NOT_FOUND');

    await expect.poll(() => backupStatus(call, busy.id), { timeout: 10_000, interval: 50 }).toBe('completed');
    await expect
      .poll(() => auditActions(call, doomed.id), { timeout: 5000, interval: 100 })
      .toEqual(['backup.created', 'backup.failed']);
  });
});
