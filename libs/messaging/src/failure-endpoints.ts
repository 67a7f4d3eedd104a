import {
  AppError,
  eventSubject,
  failureOps,
  parseEvent,
  type AnyEvent,
  type RetryOutcome,
  type SubjectSpace,
} from '@chom/contracts';
import {
  countFailuresBy,
  failureIds,
  getFailure,
  insertRetryFailure,
  pruneResolvedFailures,
  queryFailures,
  setFailureStatus,
  type FailureDetail,
} from '@chom/db';
import { runWithContext, type Logger } from '@chom/telemetry';
import type postgres from 'postgres';
import { eventContext } from './event-context.js';
import { buildFailureRecord } from './failure-record.js';
import type { EventHandler } from './listener.js';
import { endpoint, type Endpoint } from './rpc.js';

/** A listener whose failures this service may retry: its consumer name and its handler. */
export interface RetryableListener {
  name: string;
  /** Re-runs the handler for the failed event. */
  handle: EventHandler;
}

/**
 * Failures recorded by something other than a listener (a delivery worker), under consumer
 * names it `matches`; `retry` gets the failure's consumer and payload and does the work again.
 */
export interface RetryableWork {
  name: string;
  matches: (consumer: string) => boolean;
  retry: (failure: { consumer: string; payload: string }) => Promise<void>;
}

export interface FailureEndpointsOptions {
  service: string;
  sql: postgres.Sql;
  space: Pick<SubjectSpace, 'events'>;
  listeners: (RetryableListener | RetryableWork)[];
  logger: Logger;
}

/**
 * The operator's failure operations (`svc.<service>.failures.*`) over this service's
 * `processing_failures`: list, count, get, retry (one, or by filter), resolve, prune.
 * A retry re-runs only the failed listener's handler on the recorded payload, under the
 * failure's row lock, so two operators never retry the same failure twice.
 */
export function failureEndpoints(options: FailureEndpointsOptions): Endpoint[] {
  const { service, sql } = options;
  const ops = failureOps(service);
  const view = (f: FailureDetail) => ({ ...f, service });
  const retry = (id: string) => retryFailure(options, id);
  return [
    endpoint(ops.list, async ({ filter, limit, offset }) => {
      const page = await queryFailures(sql, filter, { limit, offset });
      return { items: page.items.map(view), total: page.total };
    }),
    endpoint(ops.count, async ({ filter }) => ({ count: await countFailuresBy(sql, filter) })),
    endpoint(ops.get, async ({ id }) => view(await mustGet(sql, id))),
    endpoint(ops.retry, async ({ id }) => retry(id)),
    endpoint(ops.retryMany, async ({ filter, limit, dryRun }) => {
      const open = { ...filter, status: 'failed' as const };
      const matched = await countFailuresBy(sql, open);
      if (dryRun) return { matched, dryRun, results: [] };
      const results: RetryOutcome[] = [];
      for (const id of await failureIds(sql, open, limit)) results.push(await retry(id));
      return { matched, dryRun, results };
    }),
    endpoint(ops.resolve, async ({ id, note }) => {
      const failure = await mustGet(sql, id);
      if (failure.status === 'resolved') throw new AppError('CONFLICT', `failure ${id} is already resolved`);
      await setFailureStatus(sql, id, 'resolved', note);
      return view(await mustGet(sql, id));
    }),
    endpoint(ops.prune, async ({ before }) => ({ deleted: await pruneResolvedFailures(sql, before) })),
  ];
}

async function mustGet(sql: postgres.Sql | postgres.TransactionSql, id: string, lock = false): Promise<FailureDetail> {
  const failure = await getFailure(sql, id, lock);
  if (!failure) throw new AppError('NOT_FOUND', `no failure ${id}`);
  return failure;
}

async function retryFailure(options: FailureEndpointsOptions, id: string): Promise<RetryOutcome> {
  const { sql, space, logger } = options;
  return sql.begin(async (tx) => {
    const failure = await mustGet(tx, id, true);
    if (failure.status !== 'failed') throw new AppError('CONFLICT', `failure ${id} is ${failure.status}, not open`);
    const listener = options.listeners.find((l) =>
      'matches' in l ? l.matches(failure.consumer) : l.name === failure.consumer,
    );
    if (!listener) throw new AppError('CONFLICT', `no listener "${failure.consumer}" in ${options.service} to retry`);
    let event: AnyEvent | undefined;
    try {
      if ('matches' in listener) {
        await listener.retry(failure);
      } else {
        event = parseEvent(JSON.parse(failure.payload));
        await runHandler(listener, event, failure, space);
      }
      await setFailureStatus(tx, id, 'resolved', `retried successfully at ${new Date().toISOString()}`);
      logger.info({ failureId: id, consumer: failure.consumer, eventId: failure.eventId }, 'failure retried: resolved');
      return { id, outcome: 'resolved' as const, newFailureId: null, error: null };
    } catch (error) {
      const record = buildFailureRecord({
        consumer: failure.consumer,
        streamSequence: failure.streamSequence,
        payload: failure.payload,
        headers: failure.headers,
        event,
        raw: undefined,
        error,
        attempts: [
          {
            at: new Date().toISOString(),
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          },
        ],
      });
      const newFailureId = await insertRetryFailure(tx, { ...record, retryOf: id });
      await setFailureStatus(tx, id, 'retried');
      logger.warn({ err: error, failureId: id, newFailureId }, 'failure retried: failed again');
      return { id, outcome: 'failed' as const, newFailureId, error: record.errorMessage };
    }
  }) as Promise<RetryOutcome>;
}

function runHandler(
  listener: RetryableListener,
  event: AnyEvent,
  failure: FailureDetail,
  space: Pick<SubjectSpace, 'events'>,
): Promise<void> {
  return runWithContext(eventContext(event, listener.name), () =>
    listener.handle(event, {
      consumer: listener.name,
      deliveryCount: failure.attempts.length + 1,
      streamSequence: failure.streamSequence,
      subject: eventSubject(space, event.tenantId, event.type),
      headers: failure.headers,
    }),
  );
}
