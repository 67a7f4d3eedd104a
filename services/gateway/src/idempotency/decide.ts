import { z } from 'zod';

/** What the KV holds for one (tenant, key): a claim while the first request runs, then its response. */
export const IdempotencyRecord = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending'), fingerprint: z.string(), claimedAt: z.number() }),
  z.object({
    state: z.literal('done'),
    fingerprint: z.string(),
    status: z.number().int(),
    body: z.unknown(),
  }),
]);
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

export type Decision =
  | { action: 'replay'; status: number; body: unknown }
  | { action: 'reused' }
  | { action: 'in_progress' }
  | { action: 'take_over' };

/**
 * What to do with a request whose key is already claimed. A different body is always a
 * misuse of the key; a claim older than `leaseMs` belongs to a gateway that died mid-request
 * and may be taken over.
 */
export function decide(existing: IdempotencyRecord, fingerprint: string, now: number, leaseMs: number): Decision {
  if (existing.fingerprint !== fingerprint) return { action: 'reused' };
  if (existing.state === 'done') return { action: 'replay', status: existing.status, body: existing.body };
  return now - existing.claimedAt > leaseMs ? { action: 'take_over' } : { action: 'in_progress' };
}
