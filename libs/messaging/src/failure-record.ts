import type { FailureRecord } from '@chom/db';
import type { AnyEvent } from '@chom/contracts';
import { errorCode } from './retry.js';

export interface Attempt {
  at: string;
  error: string;
}

/** The trace id of a W3C `traceparent` header (`00-<trace id>-<span id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | null {
  const traceId = traceparent?.split('-')[1];
  return traceId && /^[0-9a-f]{32}$/.test(traceId) ? traceId : null;
}

/** Best-effort identity of a payload that failed validation: whatever string fields it has. */
function identityOf(raw: unknown): { eventId: string | null; eventType: string | null; tenantId: string | null } {
  const fields = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : null);
  return { eventId: text(fields.id), eventType: text(fields.type), tenantId: text(fields.tenantId) };
}

/** What the runner records when it gives up on a delivery. */
export function buildFailureRecord(input: {
  consumer: string;
  streamSequence: number;
  payload: string;
  headers: Record<string, string>;
  event: AnyEvent | undefined;
  raw: unknown;
  error: unknown;
  attempts: Attempt[];
}): FailureRecord {
  const { event, error } = input;
  const identity = event
    ? { eventId: event.id, eventType: event.type, tenantId: event.tenantId }
    : identityOf(input.raw);
  return {
    ...identity,
    streamSequence: input.streamSequence,
    consumer: input.consumer,
    payload: input.payload,
    headers: input.headers,
    errorCode: errorCode(error),
    errorMessage: error instanceof Error ? error.message : String(error),
    errorStack: error instanceof Error ? (error.stack ?? null) : null,
    attempts: input.attempts,
    traceId: traceIdOf(input.headers.traceparent),
  };
}
