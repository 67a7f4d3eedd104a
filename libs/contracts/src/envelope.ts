import { z } from 'zod';
import { Actor, TenantId } from './ids.js';
import { IsoDateTime } from './domain.js';

export const EventType = z.string().regex(/^[a-z][a-z_]*\.[a-z][a-z_]*$/, 'event type: <aggregate>.<action>');

/** The envelope every event travels in; `data` is checked against the type's own schema. */
export const EventEnvelope = z.strictObject({
  id: z.uuid({ version: 'v7' }),
  type: EventType,
  version: z.int().min(1),
  occurredAt: IsoDateTime,
  source: z.string().min(1).max(64),
  tenantId: TenantId,
  actor: Actor,
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).max(128).nullable(),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** The aggregate an event belongs to: `site.created` -> `site`. */
export function aggregateOf(type: string): string {
  const dot = type.indexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}
