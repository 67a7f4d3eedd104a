import type { EventStoreDeps } from '@chom/messaging';
import { z } from 'zod';
import type { RouteDeps } from './types.js';

/** The admin event store and consumer routes: the services (for failure counts) and the stream. */
export interface AdminEventsDeps extends RouteDeps {
  store: EventStoreDeps;
}

/** One message of the event stream; the envelope fields are `null` when the payload lacks them. */
export const StoredEventView = z.strictObject({
  seq: z.number().int().describe('Stream sequence'),
  subject: z.string(),
  time: z.string().describe('When the stream stored it'),
  id: z.string().nullable(),
  type: z.string().nullable(),
  tenantId: z.string().nullable(),
  event: z.unknown().describe('The payload: the event envelope as JSON, or its text when it is not JSON'),
});

/** One durable consumer: backlog, lag, processing rate. */
export const ConsumerStateView = z.strictObject({
  name: z.string(),
  filter: z.string().nullable(),
  pending: z.number().int(),
  ackPending: z.number().int(),
  redelivered: z.number().int(),
  behind: z.number().int().describe('Events not yet handled: pending + ackPending'),
  lastDelivery: z.string().nullable(),
  lastAck: z.string().nullable(),
  lagSeconds: z.number().describe('Age of the oldest event not yet acknowledged'),
  ackRate: z.number().nullable().describe('Deliveries settled per second over the sample; null when not sampled'),
  catchUpSeconds: z
    .number()
    .nullable()
    .describe('behind / ackRate; 0 when caught up, null when the rate is unknown or zero'),
});

/** A token of an event subject: no dots or wildcards, so a filter cannot widen to other tenants or types. */
const Token = /^[A-Za-z0-9_-]+$/;
export const EventTypeFilter = z
  .string()
  .refine((t) => t.split('.').length === 2 && t.split('.').every((part) => Token.test(part)), {
    message: 'an event type: <aggregate>.<action>',
  });
