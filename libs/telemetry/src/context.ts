import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line and span of one request or one event handler carries. */
export interface ExecutionContext {
  tenantId?: string;
  actorId?: string;
  actorType?: string;
  correlationId?: string;
  causationId?: string;
  eventId?: string;
  eventType?: string;
  consumer?: string;
  requestId?: string;
  traceparent?: string;
  tracestate?: string;
}

const storage = new AsyncLocalStorage<ExecutionContext>();

/** Runs `fn` with `context` merged over the current one. */
export function runWithContext<T>(context: ExecutionContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

export function currentContext(): ExecutionContext {
  return storage.getStore() ?? {};
}
