import { decodeKeysetCursor, encodeKeysetCursor } from '@chom/db';

/** Position after the last entry of a page: newest first, so the next page is strictly older. */
export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

export const encodeCursor = (cursor: AuditCursor): string =>
  encodeKeysetCursor({ at: cursor.occurredAt, id: cursor.id });

/** Throws `AppError(VALIDATION_FAILED)` for anything `encodeCursor` did not make. */
export function decodeCursor(value: string): AuditCursor {
  const { at, id } = decodeKeysetCursor(value, 'query.cursor');
  return { occurredAt: at, id };
}
