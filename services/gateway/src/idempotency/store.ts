import { AppError } from '@chom/contracts';
import { JetStreamApiCodes } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { decide, IdempotencyRecord, type Decision } from './decide.js';

/** A claim on one key, held while its first request runs. */
export interface Claim {
  key: string;
  revision: number;
}

export type Begin = { action: 'claimed'; claim: Claim } | Exclude<Decision, { action: 'take_over' }>;

export interface IdempotencyStore {
  /** Claims `key` for this request, or says what an earlier request with the same key left. */
  begin(key: string, fingerprint: string): Promise<Begin>;
  /** Stores the final response of a claimed request. */
  complete(claim: Claim, fingerprint: string, status: number, body: unknown): Promise<void>;
  /** Gives the key up (the request failed in a way a retry may fix). */
  release(claim: Claim): Promise<void>;
}

export interface KvIdempotencyOptions {
  bucket: string;
  ttlMs: number;
  /** After this long a pending claim is presumed abandoned (its gateway died) and may be taken over. */
  leaseMs: number;
  now?: () => number;
}

const encoder = new TextEncoder();
const encode = (record: IdempotencyRecord) => encoder.encode(JSON.stringify(record));

function isWrongSequence(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === JetStreamApiCodes.StreamWrongLastSequence || code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
  );
}

/** Opens (creating when missing) the idempotency bucket: entries expire after `ttlMs`. */
export async function openIdempotencyBucket(nc: NatsConnection, bucket: string, ttlMs: number): Promise<KV> {
  return new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1 });
}

/**
 * Idempotency records in a JetStream KV bucket. `create()` is the claim: of two concurrent
 * requests with one key exactly one wins, the other sees the pending record.
 */
export function kvIdempotencyStore(kv: KV, options: KvIdempotencyOptions): IdempotencyStore {
  const now = options.now ?? Date.now;
  const pending = (fingerprint: string) => encode({ state: 'pending', fingerprint, claimedAt: now() });

  return {
    async begin(key, fingerprint) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          return { action: 'claimed', claim: { key, revision: await kv.create(key, pending(fingerprint)) } };
        } catch (error) {
          if (!isWrongSequence(error)) throw error;
        }
        const entry = await kv.get(key);
        if (!entry || entry.operation !== 'PUT') continue;
        const record = IdempotencyRecord.safeParse(entry.json());
        const decision: Decision = record.success
          ? decide(record.data, fingerprint, now(), options.leaseMs)
          : { action: 'take_over' };
        if (decision.action !== 'take_over') return decision;
        try {
          return {
            action: 'claimed',
            claim: { key, revision: await kv.update(key, pending(fingerprint), entry.revision) },
          };
        } catch (error) {
          if (!isWrongSequence(error)) throw error;
        }
      }
      throw new AppError('REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is in progress');
    },
    async complete(claim, fingerprint, status, body) {
      await kv.update(claim.key, encode({ state: 'done', fingerprint, status, body }), claim.revision);
    },
    async release(claim) {
      await kv.delete(claim.key, { previousSeq: claim.revision });
    },
  };
}
