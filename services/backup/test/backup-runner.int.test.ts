import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupOps, createEvent, SiteCreated, uuidv7, type AppError, type Backup } from '@chom/contracts';
import { insertBackup, lockBackup, markBackupRunning } from '../src/db/queries.js';
import { findModelSite } from '../src/db/site-model.js';
import { INSUFFICIENT_DISK_SPACE, SITE_DELETED } from '../src/deps.js';
import { runBackup } from '../src/handlers/run-backup.js';
import { ctx, startHarness, type Harness } from './harness.js';
import { controlledStorage, createdEvent, outboxEvents, sha256File, tarList, type StorageControl } from './support.js';

const control: StorageControl = { writes: 0, failWith: undefined, gate: undefined };
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ storage: controlledStorage(control) });
});
afterAll(async () => {
  await h?.close();
});

const tenant = ctx('t_runner');
const get = (backupId: string) => h.call(BackupOps.get, { ctx: tenant, backupId });
const settled = async (backupId: string): Promise<Backup> => {
  await expect
    .poll(async () => (await get(backupId)).status, { timeout: 10_000, interval: 20 })
    .toMatch(/^(completed|failed)$/);
  return get(backupId);
};
const location = async (backupId: string) => (await lockBackup(h.database.db, backupId))?.storageLocation ?? '';

describe('backup-runner', () => {
  it('writes a real tar.gz for a full backup and completes it with size, checksum and one event', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const pending = await h.call(BackupOps.create, { ctx: tenant, siteId, backupType: 'full' });
    expect(pending).toMatchObject({ status: 'pending', siteId, backupType: 'full', sizeBytes: null });

    const done = await settled(pending.id);
    expect(done).toMatchObject({ status: 'completed', errorMessage: null });
    expect(done.sizeBytes).toBeGreaterThan(40_000);
    expect(done.durationSeconds).toBeGreaterThanOrEqual(0);
    const path = join(h.storageDir, await location(pending.id));
    expect(await sha256File(path)).toBe(done.checksumSha256);
    expect(await tarList(path)).toEqual(['database/dump.sql', 'files/site-files.bin', 'manifest.json']);

    const created = await createdEvent(h.database, pending.id);
    const completed = await outboxEvents(h.database, 'backup.completed', pending.id);
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      causationId: created.id,
      data: { backupId: pending.id, siteId, backupType: 'full', sizeBytes: done.sizeBytes },
    });
    await expect.poll(() => h.streamEvents('backup.completed', pending.id).then((e) => e.length)).toBe(1);
  });

  it('sizes the generated content by backup type', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const database = await settled(
      (await h.call(BackupOps.create, { ctx: tenant, siteId, backupType: 'database' })).id,
    );
    const files = await settled((await h.call(BackupOps.create, { ctx: tenant, siteId, backupType: 'files' })).id);
    expect(await tarList(join(h.storageDir, await location(database.id)))).toEqual([
      'database/dump.sql',
      'manifest.json',
    ]);
    expect(database.sizeBytes).toBeLessThan(files.sizeBytes ?? 0);
  });

  it('answers SITE_NOT_FOUND for unknown, foreign or deleted sites and SITE_NOT_ACTIVE for others', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const code = (request: Promise<unknown>) =>
      request.then(
        () => 'ok',
        (e: unknown) => (e as AppError).code,
      );
    expect(await code(h.call(BackupOps.create, { ctx: tenant, siteId: crypto.randomUUID() }))).toBe('SITE_NOT_FOUND');
    expect(await code(h.call(BackupOps.create, { ctx: ctx('t_intruder'), siteId }))).toBe('SITE_NOT_FOUND');
    expect(await code(h.call(BackupOps.get, { ctx: ctx('t_intruder'), backupId: uuidv7() }))).toBe('BACKUP_NOT_FOUND');

    await h.deleteSite(tenant.tenantId, siteId);
    await expect
      .poll(async () => (await findModelSite(h.database.db, tenant.tenantId, siteId))?.status, { interval: 20 })
      .toBe('deleted');
    expect(await code(h.call(BackupOps.create, { ctx: tenant, siteId }))).toBe('SITE_NOT_FOUND');

    const provisioning = randomUUID();
    await h.publish(
      createEvent(
        SiteCreated,
        { tenantId: tenant.tenantId, actor: tenant.actor, source: 'site', correlationId: 'c' },
        { siteId: provisioning, domain: 'provisioning.example.com', siteType: 'html' },
      ),
    );
    await expect
      .poll(() => code(h.call(BackupOps.create, { ctx: tenant, siteId: provisioning })), { interval: 20 })
      .toBe('SITE_NOT_ACTIVE');
    // The deleted site's history still lists.
    expect((await h.call(BackupOps.list, { ctx: tenant, siteId })).items).toEqual([]);
  });

  it("fails with 'Insufficient disk space' below the configured minimum", async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    h.deps.minFreeBytes = Number.MAX_SAFE_INTEGER;
    try {
      const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
      expect(await settled(id)).toMatchObject({
        status: 'failed',
        errorMessage: INSUFFICIENT_DISK_SPACE,
        sizeBytes: null,
      });
      const [failed] = await outboxEvents(h.database, 'backup.failed', id);
      expect(failed?.data).toEqual({ backupId: id, siteId, backupType: 'full', errorMessage: INSUFFICIENT_DISK_SPACE });
    } finally {
      h.deps.minFreeBytes = 0;
    }
  });

  it("fails with the driver's error when the storage fails", async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    control.failWith = 'Storage backend unreachable';
    try {
      const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId, backupType: 'files' });
      expect(await settled(id)).toMatchObject({ status: 'failed', errorMessage: 'Storage backend unreachable' });
    } finally {
      control.failWith = undefined;
    }
  });

  it("fails a running backup whose site is deleted meanwhile with 'Site deleted' and keeps no archive", async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    let release = () => {};
    control.gate = new Promise<void>((resolve) => (release = resolve));
    try {
      const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
      await expect.poll(async () => (await get(id)).status, { timeout: 5000, interval: 20 }).toBe('running');
      await h.deleteSite(tenant.tenantId, siteId);
      await expect
        .poll(async () => (await findModelSite(h.database.db, tenant.tenantId, siteId))?.status, { interval: 20 })
        .toBe('deleted');
      control.gate = undefined;
      release();
      expect(await settled(id)).toMatchObject({ status: 'failed', errorMessage: SITE_DELETED });
      expect((await h.archiveFiles()).filter((f) => f.includes(id))).toEqual([]);
    } finally {
      control.gate = undefined;
      release();
    }
  });

  it("fails a pending backup of a site being deleted with 'Site deleted' (backup-sites, with its event)", async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    // A backup recorded but not yet picked up (no backup.created published).
    const id = uuidv7();
    await insertBackup(h.database.db, {
      id,
      tenantId: tenant.tenantId,
      siteId,
      backupType: 'database',
      at: new Date(),
    });
    await h.deleteSite(tenant.tenantId, siteId);
    expect(await settled(id)).toMatchObject({ status: 'failed', errorMessage: SITE_DELETED });
    const [failed] = await outboxEvents(h.database, 'backup.failed', id);
    expect(failed?.data).toMatchObject({ backupId: id, errorMessage: SITE_DELETED, backupType: 'database' });
  });

  it('is idempotent: a redelivered backup.created of a finished backup changes nothing', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
    const done = await settled(id);
    const writes = control.writes;
    expect(await runBackup(await createdEvent(h.database, id), h.deps)).toEqual({
      outcome: 'skipped',
      reason: 'already_finished',
    });
    expect(control.writes).toBe(writes);
    expect(await get(id)).toEqual(done);
    expect(await outboxEvents(h.database, 'backup.completed', id)).toHaveLength(1);
  });

  it('restarts a backup left running by a crashed runner: one archive, one completed event', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    let release = () => {};
    control.gate = new Promise<void>((resolve) => (release = resolve));
    const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
    try {
      await expect.poll(async () => (await get(id)).status, { timeout: 5000, interval: 20 }).toBe('running');
      // The "crashed" run: its row says running (attempt 1); it left a partial file behind.
      await mkdir(join(h.storageDir, tenant.tenantId, siteId), { recursive: true });
      await writeFile(join(h.storageDir, tenant.tenantId, siteId, `.${id}.dead.partial`), 'half an archive');

      // The restarted runner gets the redelivery and runs the backup again.
      control.gate = undefined;
      const rerun = await runBackup(await createdEvent(h.database, id), h.deps);
      expect(rerun).toMatchObject({ outcome: 'completed', attempt: 2 });
    } finally {
      // The first run, once it resumes, no longer owns the backup.
      control.gate = undefined;
      release();
    }
    await expect.poll(async () => (await lockBackup(h.database.db, id))?.attempts).toBe(2);
    const done = await settled(id);
    expect(done.status).toBe('completed');
    // The superseded run may still be writing its (identical) copy: once it is done, one archive is left.
    await expect
      .poll(async () => (await h.archiveFiles()).filter((f) => f.includes(id)), { interval: 20 })
      .toEqual([`${tenant.tenantId}/${siteId}/${id}.tar.gz`]);
    expect(await sha256File(join(h.storageDir, tenant.tenantId, siteId, `${id}.tar.gz`))).toBe(done.checksumSha256);
    expect(await outboxEvents(h.database, 'backup.completed', id)).toHaveLength(1);
    await expect.poll(() => h.streamEvents('backup.completed', id).then((e) => e.length)).toBe(1);
  });

  it('keeps the newest N completed backups per site and removes older archives', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    h.deps.retentionCount = 2;
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId, backupType: 'database' });
        await settled(id);
        ids.push(id);
      }
      const page = await h.call(BackupOps.list, { ctx: tenant, siteId });
      expect(page.items.map((b) => [b.id, b.status])).toEqual([
        [ids[2], 'completed'],
        [ids[1], 'completed'],
        [ids[0], 'expired'],
      ]);
      const files = await h.archiveFiles();
      expect(files.filter((f) => f.startsWith(`${tenant.tenantId}/${siteId}/`)).sort()).toEqual(
        [ids[1], ids[2]].map((id) => `${tenant.tenantId}/${siteId}/${id}.tar.gz`).sort(),
      );
      await expect(h.call(BackupOps.download, { ctx: tenant, backupId: ids[0] ?? '' })).rejects.toMatchObject({
        code: 'BACKUP_NOT_READY',
      });
    } finally {
      h.deps.retentionCount = 7;
    }
  });

  it('serves a completed archive in chunks, to its tenant only', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
    const done = await settled(id);
    const meta = await h.call(BackupOps.download, { ctx: tenant, backupId: id });
    expect(meta).toMatchObject({ backupId: id, sizeBytes: done.sizeBytes, checksumSha256: done.checksumSha256 });
    const parts: Buffer[] = [];
    for (let offset = 0; offset < meta.sizeBytes;) {
      const chunk = await h.call(BackupOps.downloadChunk, { ctx: tenant, backupId: id, offset, length: 7000 });
      const bytes = Buffer.from(chunk.data, 'base64');
      parts.push(bytes);
      offset += bytes.length;
    }
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(Buffer.concat(parts)).digest('hex')).toBe(done.checksumSha256);
    for (const op of [BackupOps.download, BackupOps.get] as const) {
      await expect(h.call(op, { ctx: ctx('t_intruder'), backupId: id })).rejects.toMatchObject({
        code: 'BACKUP_NOT_FOUND',
      });
    }
    await expect(
      h.call(BackupOps.downloadChunk, { ctx: ctx('t_intruder'), backupId: id, offset: 0, length: 10 }),
    ).rejects.toMatchObject({ code: 'BACKUP_NOT_FOUND' });
  });

  it('marks a running backup only through markBackupRunning (attempts counted)', async () => {
    const siteId = await h.activeSite(tenant.tenantId);
    const id = uuidv7();
    await insertBackup(h.database.db, { id, tenantId: tenant.tenantId, siteId, backupType: 'full', at: new Date() });
    expect((await markBackupRunning(h.database.db, id, new Date())).attempts).toBe(1);
  });
});
