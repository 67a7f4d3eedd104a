import { AppError, IsoDateTime } from '@chom/contracts';
import { z } from 'zod';

/** A keyset position: the time and id of the last row of a page (newest first). */
export interface KeysetCursor {
  at: Date;
  id: string;
}

const Payload = z.tuple([IsoDateTime, z.uuid()]);

/** Opaque to callers: base64url of `[at, id]`. */
export function encodeKeysetCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.at.toISOString(), cursor.id]), 'utf8').toString('base64url');
}

/**
 * Throws `AppError(VALIDATION_FAILED)`, its issue at `path` (the request field), for anything
 * `encodeKeysetCursor` did not make.
 */
export function decodeKeysetCursor(value: string, path = 'cursor'): KeysetCursor {
  let raw: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error('not base64url');
    raw = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalidCursor(path, cause);
  }
  const parsed = Payload.safeParse(raw);
  if (!parsed.success) throw invalidCursor(path, parsed.error);
  const [at, id] = parsed.data;
  return { at: new Date(at), id };
}

function invalidCursor(path: string, cause: unknown): AppError {
  return new AppError('VALIDATION_FAILED', 'invalid cursor', {
    cause,
    issues: [{ path, message: 'not a cursor returned by this endpoint' }],
  });
}
