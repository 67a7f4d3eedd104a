import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { setTracingHandle } from '../tracing-state.js';

/**
 * Records this process's spans in memory (tracing on, as under `--import
 * @chom/telemetry/register`, without an exporter): for tests of what the libraries record.
 */
export function captureSpans(): { spans: () => ReadableSpan[]; stop: () => Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // Tracing is on for this process: code that skips span work when it is off records here.
  setTracingHandle({ forceFlush: () => provider.forceFlush(), shutdown: () => provider.shutdown() });
  return {
    spans: () => exporter.getFinishedSpans(),
    async stop() {
      setTracingHandle(undefined);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
