import { z } from 'zod';
import { BackupType } from '../domain.js';
import { defineEvent, type EventOf } from './define.js';

const byBackup = (d: { backupId: string }) => d.backupId;

export const BackupCreated = defineEvent(
  'backup.created',
  1,
  z.strictObject({ backupId: z.uuid(), siteId: z.uuid(), backupType: BackupType }),
  byBackup,
);
export type BackupCreated = EventOf<typeof BackupCreated>;

export const BackupCompleted = defineEvent(
  'backup.completed',
  1,
  z.strictObject({
    backupId: z.uuid(),
    siteId: z.uuid(),
    backupType: BackupType,
    sizeBytes: z.int().nonnegative(),
    durationSeconds: z.number().nonnegative(),
  }),
  byBackup,
);
export type BackupCompleted = EventOf<typeof BackupCompleted>;

export const BackupFailed = defineEvent(
  'backup.failed',
  1,
  z.strictObject({
    backupId: z.uuid(),
    siteId: z.uuid(),
    backupType: BackupType,
    errorMessage: z.string().min(1).max(2000),
  }),
  byBackup,
);
export type BackupFailed = EventOf<typeof BackupFailed>;
