import { ContractError } from '@chom/contracts';
import { PermanentError } from './errors.js';

/** The delay before the next try after delivery `deliveryCount` (1-based) failed; the last entry repeats. */
export function backoffFor(backoffMs: readonly number[], deliveryCount: number): number {
  if (backoffMs.length === 0) throw new Error('a listener needs at least one backoff delay');
  const index = Math.min(Math.max(deliveryCount, 1) - 1, backoffMs.length - 1);
  return backoffMs[index] as number;
}

export type FailureVerdict = { kind: 'retry'; delayMs: number } | { kind: 'dead_letter'; permanent: boolean };

/** What to do with a delivery whose handling threw `error`. */
export function judgeFailure(
  error: unknown,
  deliveryCount: number,
  spec: { maxDeliver: number; backoffMs: readonly number[] },
): FailureVerdict {
  if (isPermanent(error)) return { kind: 'dead_letter', permanent: true };
  if (deliveryCount >= spec.maxDeliver) return { kind: 'dead_letter', permanent: false };
  return { kind: 'retry', delayMs: backoffFor(spec.backoffMs, deliveryCount) };
}

export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || error instanceof ContractError;
}

/** The stable code a failure is recorded under. */
export function errorCode(error: unknown): string {
  if (error instanceof SyntaxError) return 'INVALID_JSON';
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return 'HANDLER_FAILED';
}
