/** The SQLSTATE of a Postgres error, looking through wrappers (drizzle's `DrizzleQueryError`) by `cause`. */
export function sqlState(error: unknown): string | undefined {
  for (
    let e = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in e) return code;
  }
  return undefined;
}

/**
 * Postgres refused the row itself (data exception, class 22; integrity violation, class 23):
 * trying the same row again cannot succeed. Connection loss, timeouts, a missing table or
 * a full disk are not in these classes and stay worth a retry.
 */
export function isRowRejected(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}
