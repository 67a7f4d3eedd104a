import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSite, backupStatus, requestBackup } from './backup-support.js';
import { api, startTestStack } from './harness.js';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** Every listener that handles the events of one site's creation: one line each. */
const CONSUMERS = [
  { service: 'site', consumer: 'site-provisioner', event: 'site.created' },
  { service: 'audit', consumer: 'audit', event: 'site.created' },
  { service: 'audit', consumer: 'audit', event: 'site.provisioned' },
  { service: 'metrics', consumer: 'metrics', event: 'site.created' },
  { service: 'metrics', consumer: 'tenant-stats', event: 'site.created' },
  { service: 'backup', consumer: 'backup-sites', event: 'site.created' },
  { service: 'notification', consumer: 'notification', event: 'site.provisioned' },
];

// The whole stack as real processes, exporting OTLP/JSON to a receiver in this test: one
// site's creation through the gateway must be one trace, from the HTTP request to every consumer.
describe('one trace per request', () => {
  let receiver: OtlpReceiver;
  let env: Awaited<ReturnType<typeof startTestStack>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    env = await startTestStack('trace', {
      all: {
        LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
      site: { PROVISION_DURATION_MS: '50' },
      backup: { BACKUP_WORK_MS: '20' },
    });
  });
  afterAll(async () => {
    await env?.cleanup();
    await receiver?.close();
  });

  it('follows a site from the HTTP request through the site service, its database and outbox, to every consumer', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_trace' }));
    const created = await call('POST', '/api/v1/sites', { domain: 'traced.example.com', siteType: 'html' });
    expect(created.status).toBe(201);
    const siteId = (created.body as { id: string }).id;

    const findHttp = () =>
      receiver.spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/api/v1/sites');
    await expect.poll(findHttp, { timeout: 5000, interval: 50 }).toBeDefined();
    const http = findHttp();
    const traceId = http?.traceId as string;
    const trace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const consumerSpan = (c: (typeof CONSUMERS)[number]) =>
      trace().find(
        (s) =>
          s.kind === CONSUMER &&
          s.service === c.service &&
          s.attributes['messaging.consumer.group.name'] === c.consumer &&
          s.name === `process ${c.event}`,
      );
    await expect
      .poll(() => CONSUMERS.filter((c) => !consumerSpan(c)).map((c) => `${c.consumer} ${c.event}`), {
        timeout: 10_000,
        interval: 100,
      })
      .toEqual([]);

    const spans = trace();
    if (process.env.TRACE_TREE) printTree(spans);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);
    const ancestors = (s: ReceivedSpan): ReceivedSpan[] => {
      const parent = parentOf(s);
      return parent ? [parent, ...ancestors(parent)] : [];
    };

    expect(http).toMatchObject({
      service: 'gateway',
      name: 'POST /api/v1/sites',
      parentSpanId: undefined,
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': 201, 'chom.tenant_id': 't_trace' },
    });
    const client = spans.find((s) => s.service === 'gateway' && s.kind === CLIENT);
    expect(client).toMatchObject({ name: 'site/create', parentSpanId: http?.spanId });
    const server = spans.find((s) => s.service === 'site' && s.kind === SERVER);
    expect(server).toMatchObject({
      name: 'site/create',
      parentSpanId: client?.spanId,
      attributes: { 'rpc.service': 'site', 'rpc.method': 'create', 'chom.tenant_id': 't_trace' },
      resource: { 'service.name': 'site', 'service.version': '0.1.0', 'service.instance.id': expect.any(String) },
    });
    // The site row and its outbox row are written by one statement (no transaction needed).
    const statement = spans.find((s) => s.name === 'db.query' && s.parentSpanId === server?.spanId);
    expect(statement).toMatchObject({
      kind: CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': `${env.config.databasePrefix}site`,
        'db.operation.name': 'INSERT',
      },
    });
    expect(statement?.events).toContain('db.query');

    const publish = (event: string) => spans.find((s) => s.kind === PRODUCER && s.name === `publish ${event}`);
    const subject = (event: string) => `${env.config.space.events}.t_trace.${event}`;
    expect(publish('site.created')).toMatchObject({
      service: 'site',
      parentSpanId: statement?.spanId,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject('site.created'),
        'messaging.message.id': expect.any(String),
        'chom.site_id': siteId,
      },
    });

    for (const c of CONSUMERS) {
      const span = consumerSpan(c);
      expect(span, `${c.consumer} ${c.event}`).toMatchObject({
        name: `process ${c.event}`,
        parentSpanId: publish(c.event)?.spanId,
        status: 0,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': subject(c.event),
          'messaging.message.id': publish(c.event)?.attributes['messaging.message.id'],
          'messaging.consumer.group.name': c.consumer,
          'messaging.nats.message.delivery_attempt': 1,
          'chom.tenant_id': 't_trace',
          'chom.site_id': siteId,
        },
      });
      // One message per span: no batch size; the type is in the name and the subject.
      expect(Object.keys(span?.attributes ?? {})).not.toContain('messaging.batch.message_count');
    }
    // The provisioner's own event continues the trace it was handling.
    const provisioner = consumerSpan(CONSUMERS[0]!);
    expect(ancestors(publish('site.provisioned')!).map((s) => s.spanId)).toContain(provisioner?.spanId);
  });
  it('follows a backup from the HTTP request through the backup runner to its listeners', async () => {
    const call = api(env.stack, await env.stack.token({ tenant: 't_trace' }));
    const siteId = await activeSite(call, 'backed.traced.example.com');
    const backup = await requestBackup(call, siteId);
    await expect.poll(() => backupStatus(call, backup.id), { timeout: 10_000, interval: 50 }).toBe('completed');

    const http = () =>
      receiver.spans.find(
        (s) =>
          s.kind === SERVER &&
          s.attributes['http.route'] === '/api/v1/sites/:id/backups' &&
          s.attributes['http.response.status_code'] === 202,
      );
    await expect.poll(http, { timeout: 5000, interval: 50 }).toBeDefined();
    const traceId = http()?.traceId as string;
    const spans = () => receiver.spans.filter((s) => s.traceId === traceId);
    const consumers = [
      ['backup', 'backup-runner', 'backup.created'],
      ['audit', 'audit', 'backup.created'],
      ['audit', 'audit', 'backup.completed'],
      ['metrics', 'metrics', 'backup.completed'],
      ['metrics', 'tenant-stats', 'backup.completed'],
      ['notification', 'notification', 'backup.completed'],
    ] as const;
    const find = ([service, consumer, event]: (typeof consumers)[number]) =>
      spans().find(
        (s) =>
          s.kind === CONSUMER &&
          s.service === service &&
          s.attributes['messaging.consumer.group.name'] === consumer &&
          s.name === `process ${event}`,
      );
    await expect
      .poll(() => consumers.filter((c) => !find(c)).map((c) => c.join(' ')), { timeout: 10_000, interval: 100 })
      .toEqual([]);

    const server = spans().find((s) => s.service === 'backup' && s.kind === SERVER);
    expect(server).toMatchObject({ name: 'backup/create', attributes: { 'chom.tenant_id': 't_trace' } });
    const publish = (event: string) => spans().find((s) => s.kind === PRODUCER && s.name === `publish ${event}`);
    expect(publish('backup.created')).toMatchObject({ service: 'backup', attributes: { 'chom.backup_id': backup.id } });
    for (const c of consumers) {
      expect(find(c), c.join(' ')).toMatchObject({
        parentSpanId: publish(c[2])?.spanId,
        attributes: { 'chom.backup_id': backup.id, 'chom.site_id': siteId, 'chom.tenant_id': 't_trace' },
      });
    }
  });
});

function printTree(spans: ReceivedSpan[]): void {
  const walk = (parent: string | undefined, depth: number): void => {
    for (const s of spans.filter((x) => x.parentSpanId === parent)) {
      console.log(`${'  '.repeat(depth)}${s.service}: ${s.name} [kind ${s.kind}]`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
}
