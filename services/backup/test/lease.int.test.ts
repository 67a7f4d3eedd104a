import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupOps } from '@chom/contracts';
import { lockBackup } from '../src/db/queries.js';
import { ctx, startHarness, type Harness } from './harness.js';
import { controlledStorage, outboxEvents, type StorageControl } from './support.js';

const ACK_WAIT_MS = 1000;
const control: StorageControl = { writes: 0, failWith: undefined, gate: undefined };
let h: Harness;

beforeAll(async () => {
  // Work takes 2.5 ack-waits: without in-progress acks the backup would be handed out again.
  h = await startHarness({
    workMs: 2.5 * ACK_WAIT_MS,
    runnerAckWaitMs: ACK_WAIT_MS,
    storage: controlledStorage(control),
  });
});
afterAll(async () => {
  await h?.close();
});

describe('backup-runner lease', () => {
  it('keeps the backup while it works: one run, one archive, one completed event', async () => {
    const tenant = ctx('t_lease');
    const siteId = await h.activeSite(tenant.tenantId);
    const { id } = await h.call(BackupOps.create, { ctx: tenant, siteId });
    await expect
      .poll(async () => (await h.call(BackupOps.get, { ctx: tenant, backupId: id })).status, {
        timeout: 15_000,
        interval: 50,
      })
      .toBe('completed');
    expect(control.writes).toBe(1);
    expect((await lockBackup(h.database.db, id))?.attempts).toBe(1);
    expect(await outboxEvents(h.database, 'backup.completed', id)).toHaveLength(1);
    expect((await h.archiveFiles()).filter((f) => f.includes(id))).toHaveLength(1);
  });
});
