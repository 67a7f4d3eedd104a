import { z } from 'zod';

/** Stable error codes; callers branch on these, never on message text. */
export const ErrorCode = z.enum([
  'VALIDATION_FAILED',
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SITE_NOT_FOUND',
  'DOMAIN_TAKEN',
  'SITE_NOT_DELETABLE',
  'SITE_NOT_ACTIVE',
  'BACKUP_NOT_FOUND',
  'BACKUP_NOT_READY',
  'EVENT_NOT_FOUND',
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
  'REQUEST_IN_PROGRESS',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorIssue = z.strictObject({
  path: z.string(),
  message: z.string(),
});
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** The one error shape that crosses NATS and HTTP. */
export const ErrorBody = z.strictObject({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(ErrorIssue).optional(),
  requestId: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** An error with a stable code that may be shown to the caller. */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; issues?: ErrorIssue[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues;
  }

  toBody(): ErrorBody {
    return this.issues
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

/** Input that does not match its contract: never retried, always the caller's to fix. */
export class ContractError extends AppError {
  override readonly name = 'ContractError';
  constructor(message: string, issues?: ErrorIssue[], cause?: unknown) {
    super('VALIDATION_FAILED', message, { issues: issues ?? [], cause });
  }
}

/** Flattens zod issues into the wire shape (`path` dotted, e.g. `data.domain`). */
export function toIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
