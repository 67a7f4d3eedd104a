import { decodeKeysetCursor, encodeKeysetCursor } from '@chom/db';

/** Position after the last notification of a page: newest first, so the next page is strictly older. */
export interface NotificationCursor {
  createdAt: Date;
  id: string;
}

export const encodeCursor = (cursor: NotificationCursor): string =>
  encodeKeysetCursor({ at: cursor.createdAt, id: cursor.id });

/** Throws `AppError(VALIDATION_FAILED)` for anything `encodeCursor` did not make. */
export function decodeCursor(value: string): NotificationCursor {
  const { at, id } = decodeKeysetCursor(value, 'query.cursor');
  return { createdAt: at, id };
}
