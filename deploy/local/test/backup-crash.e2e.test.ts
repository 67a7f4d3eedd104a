import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, NATS_URL, startTestStack } from './harness.js';
import { activeSite, auditActions, backupStatus, filesUnder, requestBackup } from './backup-support.js';

const ACK_WAIT_MS = 1500;
const WORK_MS = 4000;

// The backup service dies (SIGKILL: no shutdown handler) in the middle of a long backup. While
// it lived it kept the backup's lease; after the restart the redelivered backup.created runs
// the backup again from the start and it completes exactly once.
describe('backup service killed during a backup', () => {
  let env: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    env = await startTestStack('bcrash', {
      site: { PROVISION_DURATION_MS: '20' },
      backup: { BACKUP_WORK_MS: String(WORK_MS), BACKUP_RUNNER_ACK_WAIT_MS: String(ACK_WAIT_MS) },
    });
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('finishes the backup once after the restart: one archive, one backup.completed', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_bcrash' }));
    const siteId = await activeSite(call, 'crash.backup.example.com');
    const { id } = await requestBackup(call, siteId);
    const db = env.sql('backup');
    const nc = await connect({ servers: NATS_URL });
    try {
      const row = async () => (await db`SELECT status, attempts, started_at FROM backups WHERE id = ${id}`)[0];
      await expect.poll(async () => (await row())?.status, { timeout: 5000, interval: 20 }).toBe('running');
      // Running for longer than the ack wait: the lease held, so no second run began.
      await expect
        .poll(
          async () =>
            Number(
              (await db`SELECT extract(epoch FROM now() - started_at) * 1000 AS ms FROM backups WHERE id = ${id}`)[0]
                ?.ms,
            ),
          { timeout: 5000, interval: 50 },
        )
        .toBeGreaterThan(1.5 * ACK_WAIT_MS);
      expect(await row()).toMatchObject({ status: 'running', attempts: 1 });

      expect((await env.stack.kill('backup'))?.signal).toBe('SIGKILL');
      await env.stack.startService('backup');

      await expect
        .poll(() => backupStatus(call, id), { timeout: 3 * ACK_WAIT_MS + 3 * WORK_MS, interval: 100 })
        .toBe('completed');
      expect((await row())?.attempts).toBe(2);
      expect((await filesUnder(env.backupDir)).filter((f) => f.includes(id))).toEqual([
        `t_bcrash/${siteId}/${id}.tar.gz`,
      ]);

      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(env.config.space.stream, {
        subjects_filter: `${env.config.space.events}.*.backup.*`,
      });
      expect(info.state.subjects).toEqual({
        [`${env.config.space.events}.t_bcrash.backup.created`]: 1,
        [`${env.config.space.events}.t_bcrash.backup.completed`]: 1,
      });
      await expect
        .poll(() => auditActions(call, id), { timeout: 5000, interval: 100 })
        .toEqual(['backup.completed', 'backup.created']);
    } finally {
      await db.end();
      await nc.close();
    }
  });
});
