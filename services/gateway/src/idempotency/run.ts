import { AppError, ErrorBody } from '@chom/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from '../errors.js';
import { idempotencyStoreKey, requestFingerprint } from './fingerprint.js';
import type { IdempotencyStore } from './store.js';

export interface Outcome {
  status: number;
  body: unknown;
}

export const REPLAYED_HEADER = 'idempotency-replayed';

const StoredError = ErrorBody.omit({ requestId: true }).strict();

function replay(reply: FastifyReply, status: number, body: unknown): Outcome {
  reply.header(REPLAYED_HEADER, 'true');
  if (status < 400) return { status, body };
  const stored = StoredError.safeParse((body as { error?: unknown } | null)?.error);
  if (!stored.success) throw new Error('stored idempotent response is malformed');
  throw new AppError(
    stored.data.code,
    stored.data.message,
    stored.data.issues ? { issues: stored.data.issues } : undefined,
  );
}

/**
 * Runs `execute` at most once per (tenant, Idempotency-Key): a repeat with the same request
 * gets the stored response, with another request 422, while the first still runs 409.
 * Outcomes a retry could change (5xx, or anything unexpected) release the key instead of
 * being stored.
 */
export async function withIdempotency(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: { tenantId: string; key: string | undefined },
  execute: () => Promise<Outcome>,
): Promise<Outcome> {
  if (scope.key === undefined) return execute();
  const fingerprint = requestFingerprint(request.method, request.routeOptions.url ?? request.url, request.body);
  const begun = await store.begin(idempotencyStoreKey(scope.tenantId, scope.key), fingerprint);
  switch (begun.action) {
    case 'replay':
      return replay(reply, begun.status, begun.body);
    case 'reused':
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
    case 'in_progress':
      throw new AppError('REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is in progress');
  }
  const { claim } = begun;
  let outcome: Outcome;
  try {
    outcome = await execute();
  } catch (error) {
    const { status, body } = toHttpError(error);
    const settle =
      error instanceof AppError && status < 500
        ? store.complete(claim, fingerprint, status, body)
        : store.release(claim);
    await settle.catch((storeError: unknown) =>
      request.log.warn({ err: storeError }, 'idempotency record not settled'),
    );
    throw error;
  }
  // The change is made: a failure to record it must not turn the answer into an error.
  await store
    .complete(claim, fingerprint, outcome.status, outcome.body)
    .catch((storeError: unknown) => request.log.warn({ err: storeError }, 'idempotency record not stored'));
  return outcome;
}
