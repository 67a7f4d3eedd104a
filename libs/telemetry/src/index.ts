export { currentContext, runWithContext } from './context.js';
export type { ExecutionContext } from './context.js';
export { createLogger } from './logger.js';
export type { Logger, LoggerConfig } from './logger.js';
export { Counter, Gauge, Histogram, Registry, createMetricsRegistry } from './metrics.js';
export { buildOpsServer } from './ops-server.js';
export type { OpsServerOptions, ReadinessCheck } from './ops-server.js';
export { handleShutdown } from './shutdown.js';
export type { ShutdownStep } from './shutdown.js';
export { scheduleJob } from './scheduled-job.js';
export type { ScheduledJob } from './scheduled-job.js';
export {
  SpanKind,
  SpanStatusCode,
  context,
  currentTraceContext,
  extractTraceContext,
  isTracing,
  recordError,
  trace,
  traceHeaders,
  tracer,
  withSpan,
} from './trace-context.js';
export type { Attributes, Context, Span, SpanOptions, TraceHeaders } from './trace-context.js';
export { isTracingEnabled, shutdownTracing } from './tracing-state.js';
export { tracingSettings } from './config.js';
export type { TracingSettings } from './config.js';
