import type { AnyEvent } from '@chom/contracts';
import type { ExecutionContext } from '@chom/telemetry';

/** The execution context a handler of `event` runs in: tenant, actor, correlation, the event and the consumer. */
export function eventContext(event: AnyEvent, consumer: string): ExecutionContext {
  return {
    tenantId: event.tenantId,
    actorId: event.actor.id,
    actorType: event.actor.type,
    correlationId: event.correlationId,
    eventId: event.id,
    eventType: event.type,
    consumer,
    ...(event.causationId ? { causationId: event.causationId } : {}),
  };
}
