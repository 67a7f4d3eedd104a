import { randomUUID } from 'node:crypto';
import { context, diag, DiagConsoleLogger, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { setTracingHandle, type TracingHandle } from './tracing-state.js';
import type { TracingSettings } from './config.js';

export interface ServiceIdentity {
  /** Default `service.name`; `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` win. */
  name: string;
  version?: string;
}

const DIAG_LEVELS: Record<string, DiagLogLevel> = {
  NONE: DiagLogLevel.NONE,
  ERROR: DiagLogLevel.ERROR,
  WARN: DiagLogLevel.WARN,
  INFO: DiagLogLevel.INFO,
  DEBUG: DiagLogLevel.DEBUG,
  VERBOSE: DiagLogLevel.VERBOSE,
  ALL: DiagLogLevel.ALL,
};

/**
 * Starts the OpenTelemetry trace SDK for this process: a batch span processor exporting over
 * OTLP/HTTP (protobuf or JSON), W3C trace-context propagation and AsyncLocalStorage context.
 * Sampler (`OTEL_TRACES_SAMPLER[_ARG]`), exporter endpoint, headers, timeout and batch
 * limits come from the standard OTEL_* variables. Export problems are reported on stderr at
 * `OTEL_LOG_LEVEL` (default ERROR).
 */
export function startTracing(settings: TracingSettings, service: ServiceIdentity): TracingHandle {
  diag.setLogger(new DiagConsoleLogger(), DIAG_LEVELS[settings.logLevel] ?? DiagLogLevel.ERROR);
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: service.name,
        ...(service.version ? { [ATTR_SERVICE_VERSION]: service.version } : {}),
        'service.instance.id': randomUUID(),
        'deployment.environment.name': settings.environment,
        'deployment.environment': settings.environment,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter: SpanExporter =
    settings.protocol === 'http/json' ? new JsonTraceExporter() : new ProtobufTraceExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);

  const handle: TracingHandle = {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  setTracingHandle(handle);
  return handle;
}
