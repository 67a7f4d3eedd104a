import type { AnyEvent, NotificationSeverity } from '@chom/contracts';

/** What every channel shows for one event. */
export interface Rendered {
  title: string;
  body: string;
  severity: NotificationSeverity;
  /** Path in the control panel, relative to APP_URL. */
  actionPath: string | null;
}

type Notified = Extract<
  AnyEvent,
  { type: 'site.provisioned' | 'site.provisioning_failed' | 'site.ssl_expiring' | 'backup.completed' | 'backup.failed' }
>;

const TEMPLATES: { [T in Notified['type']]: (event: Extract<Notified, { type: T }>) => Rendered } = {
  'site.provisioned': ({ data }) => ({
    title: 'Your site is ready!',
    body: `${data.domain} is live (server ${data.vpsId}, set up in ${seconds(data.durationSeconds)}).`,
    severity: 'success',
    actionPath: `/sites/${data.siteId}`,
  }),
  'site.provisioning_failed': ({ data }) => ({
    title: 'Your site could not be set up',
    body: `Provisioning ${data.domain} failed: ${data.errorMessage}`,
    severity: 'error',
    actionPath: `/sites/${data.siteId}`,
  }),
  'site.ssl_expiring': ({ data }) => ({
    title: `SSL certificate for ${data.domain} expires in ${days(data.daysUntilExpiration)}`,
    body: `The certificate of ${data.domain} expires on ${data.sslExpiresAt.slice(0, 10)} (in ${days(data.daysUntilExpiration)}). Renew it to keep the site reachable over HTTPS.`,
    severity: data.daysUntilExpiration <= 3 ? 'error' : 'warning',
    actionPath: `/sites/${data.siteId}`,
  }),
  'backup.completed': ({ data }) => ({
    title: 'Backup completed',
    body: `The ${data.backupType} backup (${bytes(data.sizeBytes)}) finished in ${seconds(data.durationSeconds)}.`,
    severity: 'success',
    actionPath: `/sites/${data.siteId}/backups/${data.backupId}`,
  }),
  'backup.failed': ({ data }) => ({
    title: 'Backup failed',
    body: `The ${data.backupType} backup failed: ${data.errorMessage}`,
    severity: 'error',
    actionPath: `/sites/${data.siteId}/backups/${data.backupId}`,
  }),
};

export const NOTIFIED_TYPES: ReadonlySet<string> = new Set(Object.keys(TEMPLATES));

export function isNotified(event: AnyEvent): event is Notified {
  return NOTIFIED_TYPES.has(event.type);
}

export function render(event: Notified): Rendered {
  const template = TEMPLATES[event.type] as (e: Notified) => Rendered;
  return template(event);
}

/** The e-mail for a rendered notification: plain text, with the link spelled out. */
export function emailText(rendered: Rendered, appUrl: string): string {
  const link = rendered.actionPath ? `\n\n${appUrl}${rendered.actionPath}\n` : '\n';
  return `${rendered.body}${link}\n-- \nCHOM notifications\n`;
}

const days = (n: number) => `${n} ${n === 1 ? 'day' : 'days'}`;
const seconds = (s: number) => `${Math.round(s * 10) / 10} s`;

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
