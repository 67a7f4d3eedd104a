import { describe, expect, it } from 'vitest';
import { runWithContext } from './context.js';
import { tracingSettings } from './config.js';
import { extractTraceContext, traceHeaders, withSpan } from './trace-context.js';
import { captureLogger } from './testing/index.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

// The SDK is not started in unit tests: these are the tracing-off paths every test run takes.
describe('trace propagation with tracing off', () => {
  it('passes a caller trace through unchanged, via spans and via the execution context', async () => {
    const parent = extractTraceContext({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    expect(traceHeaders(parent)).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    const inside = await withSpan('op', { parent }, async () => traceHeaders());
    expect(inside).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    expect(runWithContext({ traceparent: TRACEPARENT }, () => traceHeaders())).toEqual({ traceparent: TRACEPARENT });
  });

  it('ignores malformed trace headers and has nothing to pass without a trace', () => {
    expect(traceHeaders(extractTraceContext({ traceparent: 'garbage' }))).toEqual({});
    expect(traceHeaders()).toEqual({});
  });

  it('logs the trace and span ids of the current trace', () => {
    const { logger, lines } = captureLogger();
    runWithContext({ traceparent: TRACEPARENT, tenantId: 't_1' }, () => logger.info('x'));
    expect(lines[0]).toMatchObject({
      tenantId: 't_1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
    expect(lines[0]).not.toHaveProperty('traceparent');
  });
});

describe('tracingSettings', () => {
  it('is on only with an endpoint and not disabled; protobuf by default', () => {
    expect(tracingSettings({})).toMatchObject({ enabled: false, protocol: 'http/protobuf' });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces' }).enabled).toBe(true);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://j', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(
      false,
    );
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/not supported/);
  });
});
