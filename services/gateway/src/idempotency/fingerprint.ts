import { createHash } from 'node:crypto';
import { z } from 'zod';

/** An `Idempotency-Key` header: 1-255 printable ASCII characters. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x20-\x7E]+$/, 'printable ASCII characters only');

/** JSON with object keys sorted at every level, so key order never changes a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What makes two requests "the same": method, route and body (validated, key order ignored). */
export function requestFingerprint(method: string, route: string, body: unknown): string {
  return sha256(`${method.toUpperCase()} ${route}\n${canonicalJson(body)}`);
}

/** KV key for a tenant's idempotency key: the raw key is hashed, KV keys allow few characters. */
export function idempotencyStoreKey(tenantId: string, key: string): string {
  return `${tenantId}.${sha256(key)}`;
}
