/**
 * Thrown by a handler to say "retrying will never make this succeed": the delivery is
 * dead-lettered at once instead of being retried up to `maxDeliver`.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** A stream or consumer exists with settings that cannot be changed in place (e.g. storage type). */
export class MessagingSetupError extends Error {
  override readonly name = 'MessagingSetupError';
  readonly code = 'IMMUTABLE_SETTING_DRIFT';

  constructor(message: string) {
    super(message);
  }
}
