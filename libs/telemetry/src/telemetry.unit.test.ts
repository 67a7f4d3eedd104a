import { describe, expect, it } from 'vitest';
import { buildOpsServer, Counter, createMetricsRegistry, runWithContext } from './index.js';
import { captureLogger } from './testing/index.js';

describe('logger', () => {
  it('writes JSON lines with the service, the execution context, and no secrets', () => {
    const { logger, lines } = captureLogger('audit');
    runWithContext({ tenantId: 't_1', correlationId: 'c_1' }, () => {
      runWithContext({ eventId: 'e_1' }, () =>
        logger.info({ password: 'hunter2', headers: { authorization: 'Bearer x' } }, 'hello'),
      );
    });
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'audit',
      msg: 'hello',
      tenantId: 't_1',
      correlationId: 'c_1',
      eventId: 'e_1',
      password: '[redacted]',
      headers: { authorization: '[redacted]' },
    });
    expect(lines[1]).not.toHaveProperty('tenantId');
  });

  it('never writes a database URL, flat or in a config', () => {
    const { logger, lines } = captureLogger('audit');
    const url = 'postgres://svc:s3cret@db:5432/chom_audit';
    logger.info({ databaseUrl: url, database: { url, poolMax: 8 }, config: { database: { url } } }, 'config');
    expect(lines[0]).toMatchObject({
      databaseUrl: '[redacted]',
      database: { url: '[redacted]', poolMax: 8 },
      config: { database: { url: '[redacted]' } },
    });
    expect(JSON.stringify(lines[0])).not.toContain('s3cret');
  });
});

describe('ops server', () => {
  it('serves Node default metrics without the gauges promtool rejects for their _total suffix', async () => {
    const text = await createMetricsRegistry('test').metrics();
    expect(text).toMatch(/^process_cpu_seconds_total\{service="test"\} /m);
    expect(text).toContain('nodejs_heap_size_used_bytes');
    expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
  });

  it('reports liveness, readiness per check, and metrics', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    new Counter({ name: 'chom_things_total', help: 'things', registers: [registry] }).inc(3);
    let natsUp = true;
    const app = buildOpsServer({
      registry,
      logger: captureLogger().logger,
      readiness: { nats: () => natsUp, db: async () => true, broken: async () => Promise.reject(new Error('x')) },
    });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const notReady = await app.inject('/readyz');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not_ready', checks: { nats: true, db: true, broken: false } });
    natsUp = false;
    expect((await app.inject('/readyz')).json().checks.nats).toBe(false);
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('chom_things_total{service="test"} 3');
    await app.close();
  });
});
