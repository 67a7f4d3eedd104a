import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('backup config', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config.ops.port).toBe(9103);
    expect(config.storage).toMatchObject({ directory: '/var/lib/chom/backups', workMs: 200 });
    expect(config.storage.sizes.full).toBeGreaterThan(config.storage.sizes.database);
    expect(config.retentionCount).toBe(7);
    expect(config.backupRunner).toMatchObject({ maxDeliver: 3, ackWaitMs: 30_000 });
  });

  it('reads the storage, retention and runner settings', () => {
    const config = loadConfig({
      BACKUP_STORAGE_DIR: 'rel/dir',
      BACKUP_MIN_FREE_BYTES: '1000',
      BACKUP_WORK_MS: '5',
      BACKUP_SIZE_FILES_BYTES: '77',
      BACKUP_RETENTION_COUNT: '2',
      BACKUP_RUNNER_ACK_WAIT_MS: '1500',
    });
    expect(config.storage.directory).toMatch(/^\/.*rel\/dir$/);
    expect(config.storage).toMatchObject({ minFreeBytes: 1000, workMs: 5 });
    expect(config.storage.sizes.files).toBe(77);
    expect(config.retentionCount).toBe(2);
    expect(config.backupRunner.ackWaitMs).toBe(1500);
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig({ BACKUP_RETENTION_COUNT: '0', BACKUP_WORK_MS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ BACKUP_RETENTION_COUNT: '0', BACKUP_WORK_MS: '-1' })).toThrow(
      /BACKUP_RETENTION_COUNT[\s\S]*BACKUP_WORK_MS|BACKUP_WORK_MS[\s\S]*BACKUP_RETENTION_COUNT/,
    );
  });
});
