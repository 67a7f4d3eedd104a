import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../src/testing/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/emit-spans.mjs', import.meta.url));

/** Runs the fixture as a service runs: `node --import @chom/telemetry/register` (the built package). */
function runFixture(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@chom/telemetry/register', FIXTURE], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function logLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n')[0] ?? '{}') as Record<string, unknown>;
}

describe('--import @chom/telemetry/register', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('starts nothing without an endpoint: no spans, no trace ids, no errors', async () => {
    const run = await runFixture({});
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const line = logLine(run.stdout);
    expect(line).toMatchObject({ msg: 'inside', enabled: false });
    expect(line.headers).toEqual({});
    expect(line).not.toHaveProperty('trace_id');
  });

  it('stays off when the SDK is disabled, even with an endpoint', async () => {
    const before = receiver.requests.length;
    const run = await runFixture({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SDK_DISABLED: 'true' });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(logLine(run.stdout)).toMatchObject({ enabled: false });
    expect(receiver.requests.length).toBe(before);
  });

  it('exports OTLP/JSON with the resource, parent/child spans, and the trace ids in the logs', async () => {
    const run = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'fixture-svc',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci,team=backbone',
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const line = logLine(run.stdout);
    expect(line).toMatchObject({ enabled: true, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const mine = receiver.spans.filter((s) => s.traceId === line.trace_id);
    const request = mine.find((s) => s.name === 'fixture.request');
    const step = mine.find((s) => s.name === 'fixture.step');
    expect(request).toMatchObject({ kind: 2, parentSpanId: undefined, attributes: { 'chom.site_id': 'site-1' } });
    expect(step).toMatchObject({ parentSpanId: request?.spanId, spanId: line.span_id });
    expect((line.headers as Record<string, string>).traceparent).toBe(`00-${step?.traceId}-${step?.spanId}-01`);
    expect(request?.resource).toMatchObject({
      'service.name': 'fixture-svc',
      'service.version': '0.1.0',
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'deployment.environment': 'ci',
      team: 'backbone',
    });
  });

  it('exports OTLP/protobuf by default and honours the sampler', async () => {
    const before = receiver.requests.length;
    const run = await runFixture({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(receiver.requests.slice(before)).toEqual([
      { path: '/v1/traces', contentType: 'application/x-protobuf', bytes: expect.any(Number) },
    ]);

    const sampledOut = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    expect(sampledOut).toMatchObject({ code: 0, stderr: '' });
    // Not sampled: nothing exported, and the decision travels on (flags 00) so callees do not sample either.
    expect(logLine(sampledOut.stdout)).toMatchObject({
      enabled: true,
      headers: { traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/) },
    });
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('refuses an OTLP protocol it cannot speak', async () => {
    const run = await runFixture({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported');
  });
});
