import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { SubjectSpace } from '@chom/contracts';
import type { Logger } from '@chom/telemetry';
import { MessagingSetupError } from './errors.js';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** How long events are kept (the event store's horizon). */
  maxAgeMs: number;
  /** Size cap in bytes; -1 for none. */
  maxBytes: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate. */
  duplicateWindowMs: number;
  replicas?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The event stream of a subject space: every `<events>.>` subject, 30 days, 2 min dedup window. */
export function eventStreamSpec(space: SubjectSpace, overrides: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name: space.stream,
    subjects: [`${space.events}.>`],
    maxAgeMs: 30 * DAY,
    maxBytes: -1,
    duplicateWindowMs: 2 * MINUTE,
    ...overrides,
  };
}

type Settable = Pick<
  StreamConfig,
  'subjects' | 'max_age' | 'max_bytes' | 'duplicate_window' | 'num_replicas' | 'discard' | 'allow_direct'
>;

function settable(spec: StreamSpec): Settable {
  return {
    subjects: spec.subjects,
    max_age: nanos(spec.maxAgeMs),
    max_bytes: spec.maxBytes,
    duplicate_window: nanos(spec.duplicateWindowMs),
    num_replicas: spec.replicas ?? 1,
    discard: DiscardPolicy.Old,
    allow_direct: true,
  };
}

/** The settable fields of `spec` that differ from the stream's current configuration. */
export function streamDrift(current: StreamConfig, spec: StreamSpec): string[] {
  const wanted = settable(spec);
  const drift: string[] = [];
  if ([...current.subjects].sort().join(' ') !== [...wanted.subjects].sort().join(' ')) drift.push('subjects');
  for (const field of [
    'max_age',
    'max_bytes',
    'duplicate_window',
    'num_replicas',
    'discard',
    'allow_direct',
  ] as const) {
    if (current[field] !== wanted[field]) drift.push(field);
  }
  return drift;
}

/**
 * Creates the stream (file storage, limits retention), or brings an existing one in line
 * with `spec` in place. Storage and retention cannot change in place: a stream that differs
 * there is reported, never dropped, since it holds the events.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, logger: Logger): Promise<void> {
  if (spec.duplicateWindowMs > spec.maxAgeMs) throw new Error('duplicate window cannot exceed the max age');
  const current = await streamInfo(jsm, spec.name);
  if (!current) {
    await jsm.streams.add({
      name: spec.name,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      ...settable(spec),
    });
    logger.info({ stream: spec.name, subjects: spec.subjects }, 'stream created');
    return;
  }
  const { storage, retention } = current.config;
  if (storage !== StorageType.File || retention !== RetentionPolicy.Limits) {
    throw new MessagingSetupError(
      `stream ${spec.name} has ${storage} storage and ${retention} retention; file and limits are required and cannot be changed in place`,
    );
  }
  const drift = streamDrift(current.config, spec);
  if (drift.length === 0) return;
  await jsm.streams.update(spec.name, { ...current.config, ...settable(spec) });
  logger.info({ stream: spec.name, drift }, 'stream configuration updated');
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Stream or consumer not found (JetStream API code 404). */
export function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.status === 404;
}
