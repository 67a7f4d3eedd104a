import { randomFillSync } from 'node:crypto';
import { z } from 'zod';

/**
 * A tenant id is one NATS subject token: no dots, spaces or wildcards, so it can stand in
 * `events.<tenantId>.<aggregate>.<action>` and be filtered on.
 */
export const TenantId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tenant id: 1-64 letters, digits, "_" or "-"');
export type TenantId = z.infer<typeof TenantId>;

export const ActorType = z.enum(['user', 'system', 'api']);
export type ActorType = z.infer<typeof ActorType>;

export const Actor = z.strictObject({
  id: z.string().min(1).max(128),
  type: ActorType,
});
export type Actor = z.infer<typeof Actor>;

export const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', type: 'system' });

// Random bytes are drawn from a pool filled 4 KiB at a time (as `crypto.randomUUID` caches its
// entropy): one `randomFillSync` call per id was a measurable share of a service's CPU.
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/** UUID version 7 (RFC 9562): time-ordered, so ids sort by creation time. */
export function uuidv7(now: number = Date.now()): string {
  if (randomOffset + 10 > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    randomOffset = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  randomPool.copy(bytes, 6, randomOffset, randomOffset + 10);
  randomOffset += 10;
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The smallest UUID whose leading 48 bits (a UUID v7's Unix milliseconds) are `ms`: every
 * {@link uuidv7} of an earlier millisecond sorts below it, in Postgres's `uuid` order too.
 */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
