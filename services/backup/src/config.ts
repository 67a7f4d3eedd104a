import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { BackupType } from '@chom/contracts';
import {
  databaseEnv,
  databaseSettings,
  int,
  listenerEnv,
  listenerSettings,
  OnOff,
  parseEnv,
  processEnv,
  processSettings,
  withDefault,
  type DatabaseSettings,
  type ListenerSettings,
} from '@chom/config';

export { ConfigError } from '@chom/config';

const KiB = 1024;
const MiB = 1024 * KiB;

const Env = z
  .object({
    ...processEnv({ opsPort: 9103 }),
    ...databaseEnv('chom_backup'),
    // A backup is a long job: a short backoff, and a lease kept alive with in-progress acks.
    ...listenerEnv('BACKUP_RUNNER', { maxDeliver: 3, backoffMs: '10000', ackWaitMs: 30_000, concurrency: 2 }),
    ...listenerEnv('BACKUP_SITES', {
      maxDeliver: 5,
      backoffMs: '1000,5000,30000',
      ackWaitMs: 30_000,
      // One batch at a time: what arrives meanwhile fills the next (see the metrics listener).
      concurrency: 1,
      batchSize: 100,
    }),
    BACKUP_STORAGE_DIR: withDefault(z.string().min(1), '/var/lib/chom/backups'),
    BACKUP_MIN_FREE_BYTES: withDefault(int(0), 64 * MiB),
    BACKUP_WORK_MS: withDefault(int(0, 3_600_000), 200),
    BACKUP_SIZE_FULL_BYTES: withDefault(int(0, 1024 * MiB), 256 * KiB),
    BACKUP_SIZE_DATABASE_BYTES: withDefault(int(0, 1024 * MiB), 64 * KiB),
    BACKUP_SIZE_FILES_BYTES: withDefault(int(0, 1024 * MiB), 192 * KiB),
    BACKUP_RETENTION_COUNT: withDefault(int(1, 10_000), 7),
    OUTBOX_RELAY: withDefault(OnOff, 'on'),
    OUTBOX_POLL_MS: withDefault(int(10), 1000),
    OUTBOX_RETAIN_SENT_MS: withDefault(int(0), 24 * 60 * 60 * 1000),
  })
  .refine((env) => !env.NATS_PASSWORD || env.NATS_USER, {
    path: ['NATS_USER'],
    message: 'required with NATS_PASSWORD',
  });

export interface StorageSettings {
  /** Absolute directory the local driver writes archives under. */
  directory: string;
  /** Below this many free bytes on the storage's file system a backup fails. */
  minFreeBytes: number;
  /** Simulated time a backup takes before its archive is written. */
  workMs: number;
  /** Generated content per backup type. */
  sizes: Record<BackupType, number>;
}

export interface Config {
  service: 'backup';
  database: DatabaseSettings;
  nats: ReturnType<typeof processSettings>['nats'];
  space: { stream: string; events: string; services: string };
  ops: { host: string; port: number };
  logLevel: string;
  storage: StorageSettings;
  retentionCount: number;
  backupRunner: ListenerSettings;
  backupSites: ListenerSettings;
  outbox: { relay: boolean; pollIntervalMs: number; retainSentMs: number };
}

/** Parses the environment once; throws `ConfigError` naming each missing or invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseEnv(Env, env, 'the backup service');
  const { nats, space, ops, logLevel } = processSettings(e, 'backup');
  return {
    service: 'backup',
    database: databaseSettings(e),
    nats,
    space,
    ops,
    logLevel,
    storage: {
      directory: isAbsolute(e.BACKUP_STORAGE_DIR) ? e.BACKUP_STORAGE_DIR : resolve(e.BACKUP_STORAGE_DIR),
      minFreeBytes: e.BACKUP_MIN_FREE_BYTES,
      workMs: e.BACKUP_WORK_MS,
      sizes: {
        full: e.BACKUP_SIZE_FULL_BYTES,
        database: e.BACKUP_SIZE_DATABASE_BYTES,
        files: e.BACKUP_SIZE_FILES_BYTES,
      },
    },
    retentionCount: e.BACKUP_RETENTION_COUNT,
    backupRunner: listenerSettings(e, 'BACKUP_RUNNER'),
    backupSites: listenerSettings(e, 'BACKUP_SITES'),
    outbox: { relay: e.OUTBOX_RELAY, pollIntervalMs: e.OUTBOX_POLL_MS, retainSentMs: e.OUTBOX_RETAIN_SENT_MS },
  };
}
