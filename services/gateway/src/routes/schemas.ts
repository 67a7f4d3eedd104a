import { ErrorBody } from '@chom/contracts';
import { z } from 'zod';
import { IdempotencyKey } from '../idempotency/fingerprint.js';

export const ErrorResponse = z.strictObject({ error: ErrorBody });

/** Every failure answers with the one error shape. */
export const errorResponses = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;

/** A malformed id is the caller's mistake (400 VALIDATION_FAILED), not a missing site (404). */
export const SiteIdParams = z.strictObject({ id: z.uuid() });

export const IdempotencyHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey.optional().describe(
    'Retry-safe key (1-255 printable characters). A repeat with the same body returns the stored response with `Idempotency-Replayed: true`.',
  ),
});

export const bearer = [{ bearerAuth: [] }];

export const BackupIdParams = z.strictObject({ id: z.uuid() });
