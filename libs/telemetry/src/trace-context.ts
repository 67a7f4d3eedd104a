import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { currentContext, runWithContext } from './context.js';

export { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
export type { Attributes, Context, Span } from '@opentelemetry/api';

/** W3C `traceparent` and (when present) `tracestate`, as NATS headers and outbox rows carry them. */
export type TraceHeaders = Record<string, string>;

// Used directly rather than through the global propagator, so propagation works the same
// whether or not the SDK was started (`--import @chom/telemetry/register`).
const w3c = new W3CTraceContextPropagator();

/** The tracer every CHOM library records with; a no-op until the SDK is started. */
export function tracer(): Tracer {
  return trace.getTracer('chom');
}

/** The trace context named by W3C `traceparent`/`tracestate` headers (a plain record), over `base`. */
export function extractTraceContext(
  headers: Readonly<{ traceparent?: string | undefined; tracestate?: string | undefined }>,
  base = ROOT_CONTEXT,
): Context {
  const carrier: Record<string, string> = {};
  if (headers.traceparent) carrier.traceparent = headers.traceparent;
  if (headers.tracestate) carrier.tracestate = headers.tracestate;
  return w3c.extract(base, carrier, defaultTextMapGetter);
}

function hasValidSpan(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext);
}

/**
 * The context new spans should be children of: the active span's when there is one,
 * otherwise the trace the execution context carries (a request's or an event's, restored by
 * the runners), otherwise none.
 */
export function currentTraceContext(): Context {
  const active = context.active();
  return hasValidSpan(active) ? active : extractTraceContext(currentContext());
}

/**
 * `traceparent`/`tracestate` of `ctx`'s span (default: the current trace context), to put on
 * an outgoing message or an outbox row. Empty when there is no trace.
 */
export function traceHeaders(ctx: Context = currentTraceContext()): TraceHeaders {
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  return {
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}

/** Trace and span ids for a log line: the active span's, else those of the execution context's trace. */
export function logTraceIds(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(currentTraceContext());
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Marks `span` failed by `error`. An `expected` error (one the caller caused, e.g. a typed
 * 4xx-like code) only gets `error.type`; anything else is recorded as an exception with
 * status ERROR.
 */
export function recordError(span: Span, error: unknown, options: { code?: string; expected?: boolean } = {}): void {
  const type = options.code ?? (error instanceof Error ? error.name : 'Error');
  span.setAttribute('error.type', type);
  if (options.expected) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context; default {@link currentTraceContext}. */
  parent?: Context;
  /** Decides how a thrown error is recorded (see {@link recordError}); default: unexpected. */
  classify?: (error: unknown) => { code?: string; expected?: boolean };
}

/**
 * Runs `fn` in a new span that is active (for child spans, `traceHeaders()` and log lines)
 * while it runs, and ends it; a thrown error is recorded on it and rethrown. A no-op span
 * that passes the parent's trace on when tracing is off.
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? currentTraceContext();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => runWithContext(traceHeaders(ctx), () => fn(span)));
  } catch (error) {
    recordError(span, error, options.classify?.(error));
    throw error;
  } finally {
    span.end();
  }
}

/** True when spans are recorded in the current context (the SDK is started and the trace is sampled). */
export function isTracing(): boolean {
  return trace.getSpan(context.active())?.isRecording() ?? false;
}
