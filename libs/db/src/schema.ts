import { isNotNull, isNull, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/** One past attempt of a delivery that ended as a failure. */
export interface FailureAttempt {
  at: string;
  error: string;
}

export const FAILURE_STATUSES = ['failed', 'retried', 'resolved'] as const;
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
};

/**
 * Events written in the same transaction as the state change that caused them; the relay
 * publishes pending rows in `id` order and keeps sent ones for a retention window.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: uuid('event_id').notNull().unique('outbox_event_id_key'),
    subject: text('subject').notNull(),
    event: jsonb('event').$type<Record<string, unknown>>().notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    ...timestamps,
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'string' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [
    index('outbox_pending_idx').on(t.id).where(isNull(t.sentAt)),
    index('outbox_sent_at_idx').on(t.sentAt).where(isNotNull(t.sentAt)),
  ],
);

/** Events a consumer has already applied, for handlers that are not idempotent by themselves. */
export const processedEvents = pgTable(
  'processed_events',
  {
    consumer: text('consumer').notNull(),
    eventId: uuid('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'processed_events_pkey', columns: [t.consumer, t.eventId] })],
);

/**
 * Dead letters: deliveries that failed their last try (or could never succeed). One row per
 * consumer and stream sequence; a retry that fails again is a new row pointing at the one it
 * retried (`retry_of`), hence the NULLS NOT DISTINCT unique key over all three.
 */
export const processingFailures = pgTable(
  'processing_failures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consumer: text('consumer').notNull(),
    streamSequence: bigint('stream_sequence', { mode: 'number' }).notNull(),
    eventId: text('event_id'),
    eventType: text('event_type'),
    tenantId: text('tenant_id'),
    payload: text('payload').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    errorCode: text('error_code').notNull(),
    errorMessage: text('error_message').notNull(),
    errorStack: text('error_stack'),
    attempts: jsonb('attempts').$type<FailureAttempt[]>().notNull().default([]),
    traceId: text('trace_id'),
    status: text('status', { enum: FAILURE_STATUSES }).notNull().default('failed'),
    retryOf: uuid('retry_of'),
    ...timestamps,
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'string' }),
    resolutionNote: text('resolution_note'),
  },
  (t) => [
    unique('processing_failures_delivery_key').on(t.consumer, t.streamSequence, t.retryOf).nullsNotDistinct(),
    index('processing_failures_status_idx').on(t.status, t.createdAt),
    index('processing_failures_consumer_idx').on(t.consumer, t.status, t.createdAt),
    index('processing_failures_tenant_idx').on(t.tenantId, t.createdAt),
    check('processing_failures_status_check', sql`${t.status} in ('failed', 'retried', 'resolved')`),
  ],
);

export const REBUILD_STATES = ['running', 'done', 'failed', 'cancelled'] as const;
export type RebuildState = (typeof REBUILD_STATES)[number];

/**
 * Rebuilds of a service's projections (read models replayed from the stream): where each
 * started, how far it got and how it ended, so an interrupted one resumes at the next start.
 */
export const projectionRebuilds = pgTable('projection_rebuilds', {
  id: uuid('id').primaryKey().defaultRandom(),
  projection: text('projection').notNull(),
  state: text('state', { enum: REBUILD_STATES }).notNull(),
  from: jsonb('from').$type<Record<string, unknown>>().notNull(),
  dryRun: boolean('dry_run').notNull().default(false),
  target: bigint('target', { mode: 'number' }).notNull(),
  position: bigint('position', { mode: 'number' }).notNull().default(0),
  processed: bigint('processed', { mode: 'number' }).notNull().default(0),
  total: bigint('total', { mode: 'number' }).notNull().default(0),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'string' }),
});
