import { decodeKeysetCursor, encodeKeysetCursor } from '@chom/db';

/** Where a page ends in the `(created_at, id)` order, newest first. */
export interface BackupCursor {
  createdAt: string;
  id: string;
}

/** Opaque to callers (see `encodeKeysetCursor`). */
export const encodeCursor = (cursor: BackupCursor): string =>
  encodeKeysetCursor({ at: new Date(cursor.createdAt), id: cursor.id });

/** Throws a `VALIDATION_FAILED` AppError for anything this service did not hand out. */
export function decodeCursor(value: string): BackupCursor {
  const { at, id } = decodeKeysetCursor(value);
  return { createdAt: at.toISOString(), id };
}
