import {
  extractTraceContext,
  isTracingEnabled,
  recordError,
  SpanKind,
  SpanStatusCode,
  trace,
  tracer,
  type Context,
  type Span,
} from '@chom/telemetry';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const traced = new WeakMap<FastifyRequest, { span: Span; context: Context; error?: Error }>();

/** The trace context of the request's SERVER span: the parent of the service calls it makes. */
export function traceContextOf(request: FastifyRequest): Context | undefined {
  return traced.get(request)?.context;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * One SERVER span per HTTP request, named by its route pattern (`POST /api/v1/sites`), child
 * of the caller's `traceparent` when it sends a valid one. Done with hooks rather than the
 * http/fastify auto-instrumentations, which need module hooks under ESM; routes pass the
 * context on explicitly (`traceContextOf`), and the request logger gets its ids.
 */
export function registerHttpTracing(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    // With tracing off, no span and no attributes: nothing would record them.
    if (!isTracingEnabled()) return;
    const parent = extractTraceContext({
      traceparent: header(request, 'traceparent'),
      tracestate: header(request, 'tracestate'),
    });
    const route = request.routeOptions.url;
    const span = tracer().startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route ? { 'http.route': route } : {}),
          'url.path': request.url.split('?')[0] ?? request.url,
          'url.scheme': request.protocol,
          'client.address': request.ip,
          ...(header(request, 'user-agent') ? { 'user_agent.original': header(request, 'user-agent') } : {}),
          'chom.request_id': request.id,
        },
      },
      parent,
    );
    traced.set(request, { span, context: trace.setSpan(parent, span) });
    if (span.isRecording()) {
      const { traceId, spanId } = span.spanContext();
      request.log = request.log.child({ trace_id: traceId, span_id: spanId });
    }
  });
  app.addHook('onError', async (request, _reply, error) => {
    const entry = traced.get(request);
    if (entry) entry.error = error;
  });
  const end = async (request: FastifyRequest, statusCode: number) => {
    const entry = traced.get(request);
    if (!entry) return;
    traced.delete(request);
    entry.span.setAttribute('http.response.status_code', statusCode);
    if (request.principal) entry.span.setAttribute('chom.tenant_id', request.principal.tenantId);
    // A 4xx is the client's doing: not an error of this span (OpenTelemetry HTTP server conventions).
    if (statusCode >= 500 && entry.error) recordError(entry.span, entry.error);
    else if (statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
    entry.span.end();
  };
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  app.addHook('onRequestAbort', async (request) => end(request, 499));
}
