import { z } from 'zod';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';

/**
 * A fully qualified host name in lower case: at least two labels, each 1-63 characters,
 * an alphabetic top-level label, 253 characters at most.
 */
export const Hostname = z
  .string()
  .max(253)
  .regex(new RegExp(`^(?:${LABEL}\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`), 'a valid host name');
export type Hostname = z.infer<typeof Hostname>;

export const SiteType = z.enum(['wordpress', 'laravel', 'html', 'php']);
export type SiteType = z.infer<typeof SiteType>;

export const SiteStatus = z.enum(['creating', 'provisioning', 'active', 'failed', 'deleted']);
export type SiteStatus = z.infer<typeof SiteStatus>;

export const BackupType = z.enum(['full', 'database', 'files']);
export type BackupType = z.infer<typeof BackupType>;

export const IsoDateTime = z.iso.datetime({ offset: true });
