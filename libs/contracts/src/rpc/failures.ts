import { z } from 'zod';
import { IsoDateTime } from '../domain.js';
import { defineOperation } from './common.js';

export const FailureStatus = z.enum(['failed', 'retried', 'resolved']);
export type FailureStatus = z.infer<typeof FailureStatus>;

/** Which failures an operator means; every field narrows, none means all. */
export const FailureFilter = z.strictObject({
  consumer: z.string().min(1).max(64).optional(),
  eventType: z.string().min(1).max(128).optional(),
  tenantId: z.string().min(1).max(64).optional(),
  status: FailureStatus.optional(),
  from: IsoDateTime.optional(),
  to: IsoDateTime.optional(),
});
export type FailureFilter = z.infer<typeof FailureFilter>;

export const FailureAttempt = z.strictObject({ at: z.string(), error: z.string() });

/** A recorded dead letter: one delivery of one event to one listener that will not be retried by itself. */
export const FailureView = z.strictObject({
  id: z.uuid(),
  service: z.string(),
  consumer: z.string(),
  streamSequence: z.number().int(),
  eventId: z.string().nullable(),
  eventType: z.string().nullable(),
  tenantId: z.string().nullable(),
  payload: z.string(),
  headers: z.record(z.string(), z.string()),
  errorCode: z.string(),
  errorMessage: z.string(),
  errorStack: z.string().nullable(),
  attempts: z.array(FailureAttempt),
  traceId: z.string().nullable(),
  retryOf: z.string().nullable(),
  status: FailureStatus,
  resolutionNote: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type FailureView = z.infer<typeof FailureView>;

export const FailureList = z.strictObject({ items: z.array(FailureView), total: z.number().int() });
export type FailureList = z.infer<typeof FailureList>;

/** What one retry did: `resolved` (the handler succeeded) or `failed` again (a new failure, linked). */
export const RetryOutcome = z.strictObject({
  id: z.uuid(),
  outcome: z.enum(['resolved', 'failed']),
  newFailureId: z.uuid().nullable(),
  error: z.string().nullable(),
});
export type RetryOutcome = z.infer<typeof RetryOutcome>;

export const BulkRetryResult = z.strictObject({
  matched: z.number().int(),
  dryRun: z.boolean(),
  results: z.array(RetryOutcome),
});
export type BulkRetryResult = z.infer<typeof BulkRetryResult>;

const ById = z.strictObject({ id: z.uuid() });

/**
 * The failure operations every service with listeners serves on `svc.<service>.failures.*`.
 * Operator operations: they carry no tenant context, the gateway lets only platform admins call them.
 */
export function failureOps(service: string) {
  return {
    list: defineOperation(
      service,
      'failures.list',
      z.strictObject({
        filter: FailureFilter.default({}),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      FailureList,
    ),
    count: defineOperation(
      service,
      'failures.count',
      z.strictObject({ filter: FailureFilter.default({}) }),
      z.strictObject({ count: z.number().int() }),
    ),
    get: defineOperation(service, 'failures.get', ById, FailureView),
    retry: defineOperation(service, 'failures.retry', ById, RetryOutcome),
    retryMany: defineOperation(
      service,
      'failures.retry-many',
      z.strictObject({
        filter: FailureFilter.default({}),
        limit: z.number().int().min(1).max(1000).default(100),
        dryRun: z.boolean().default(false),
      }),
      BulkRetryResult,
    ),
    resolve: defineOperation(
      service,
      'failures.resolve',
      z.strictObject({ id: z.uuid(), note: z.string().min(1).max(2000) }),
      FailureView,
    ),
    prune: defineOperation(
      service,
      'failures.prune',
      z.strictObject({ before: IsoDateTime }),
      z.strictObject({ deleted: z.number().int() }),
    ),
  } as const;
}
export type FailureOps = ReturnType<typeof failureOps>;

/** The services that run listeners, hence record failures. */
export const LISTENER_SERVICES = ['site', 'audit', 'backup', 'notification', 'metrics'] as const;
