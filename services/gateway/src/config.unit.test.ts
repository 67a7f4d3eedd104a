import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadJwtSecret } from './config.js';

const SECRET = 's'.repeat(32);

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      servicesSubjectRoot: 'svc',
      eventsStream: 'EVENTS',
      eventsSubjectRoot: 'events',
      idempotency: { bucket: 'idempotency', ttlMs: 86_400_000 },
      bodyLimitBytes: 65_536,
      jwtSecret: SECRET,
    });
  });

  it('lists every invalid or missing variable at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', RATE_LIMIT_MAX: '-1', EVENTS_STREAM: 'EVENTS.>' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('RATE_LIMIT_MAX');
    expect(message).toContain('EVENTS_STREAM');
    expect(message).toContain('JWT_SECRET: required');
  });

  it('reads the secret from JWT_SECRET_FILE and insists on 32 characters', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
    expect(loadJwtSecret({ JWT_SECRET_FILE: join(dir, 'secret') })).toBe(SECRET);
    expect(() => loadJwtSecret({ JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadJwtSecret({ JWT_SECRET_FILE: join(dir, 'missing') })).toThrow(/ENOENT/);
  });
});
