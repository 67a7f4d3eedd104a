import { EVENT_DEFINITIONS } from '@chom/contracts';
import { describe, expect, it } from 'vitest';
import { severityOf } from './severity.js';

describe('severityOf', () => {
  it.each([
    ['site.created', 'info'],
    ['site.provisioned', 'info'],
    ['site.provisioning_failed', 'error'],
    ['site.deleted', 'warning'],
    ['backup.created', 'info'],
    ['backup.completed', 'info'],
    ['backup.failed', 'error'],
  ] as const)('%s is %s', (type, severity) => {
    expect(severityOf(type)).toBe(severity);
  });

  it('files unknown failures as errors and other unknown actions as info', () => {
    expect(severityOf('dns.renewal_failed')).toBe('error');
    expect(severityOf('server.deleted')).toBe('warning');
    expect(severityOf('server.rebooted')).toBe('info');
    expect(severityOf('nodot')).toBe('info');
  });

  it('does not mistake a word containing "failed" or "deleted" for the action', () => {
    expect(severityOf('failed.created')).toBe('info');
    expect(severityOf('site.undeleted')).toBe('info');
  });

  it('covers every event in the catalogue', () => {
    for (const d of EVENT_DEFINITIONS) expect(['info', 'warning', 'error']).toContain(severityOf(d.type));
  });
});
