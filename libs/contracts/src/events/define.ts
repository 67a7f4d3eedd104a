import { z } from 'zod';
import { EventEnvelope } from '../envelope.js';

export interface EventDefinition<
  T extends string = string,
  V extends number = number,
  S extends z.ZodType = z.ZodType,
> {
  readonly type: T;
  readonly version: V;
  readonly data: S;
  /** The full envelope with `type`, `version` and `data` pinned to this definition. */
  readonly schema: z.ZodType<Event<T, V, z.output<S>>>;
  /** Which aggregate instance the event is about; events of one instance keep their order. */
  readonly aggregateId: (data: z.output<S>) => string;
}

export type Event<T extends string, V extends number, D> = Omit<EventEnvelope, 'type' | 'version' | 'data'> & {
  type: T;
  version: V;
  data: D;
};

export type EventOf<D extends EventDefinition> =
  D extends EventDefinition<infer T, infer V, infer S> ? Event<T, V, z.output<S>> : never;

/**
 * Declares one version of one event type. A published version is never edited: a breaking
 * change is a new version.
 */
export function defineEvent<T extends string, V extends number, S extends z.ZodObject>(
  type: T,
  version: V,
  data: S,
  aggregateId: (data: z.output<S>) => string,
): EventDefinition<T, V, S> {
  const schema = EventEnvelope.extend({
    type: z.literal(type),
    version: z.literal(version),
    data,
  }) as unknown as z.ZodType<Event<T, V, z.output<S>>>;
  return Object.freeze({ type, version, data, schema, aggregateId });
}
