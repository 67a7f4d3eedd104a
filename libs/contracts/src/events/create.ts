import type { z } from 'zod';
import type { Actor } from '../ids.js';
import { uuidv7 } from '../ids.js';
import { ContractError, toIssues } from '../errors.js';
import type { Event, EventDefinition } from './define.js';

export interface EventContext {
  tenantId: string;
  actor: Actor;
  source: string;
  correlationId: string;
  causationId?: string | null;
}

/** Builds and validates one event; throws `ContractError` when `data` breaks the contract. */
export function createEvent<T extends string, V extends number, S extends z.ZodType>(
  definition: EventDefinition<T, V, S>,
  context: EventContext,
  data: z.input<S>,
  now: Date = new Date(),
): Event<T, V, z.output<S>> {
  const candidate = {
    id: uuidv7(now.getTime()),
    type: definition.type,
    version: definition.version,
    occurredAt: now.toISOString(),
    source: context.source,
    tenantId: context.tenantId,
    actor: context.actor,
    correlationId: context.correlationId,
    causationId: context.causationId ?? null,
    data,
  };
  const parsed = definition.schema.safeParse(candidate);
  if (!parsed.success) throw new ContractError(`invalid ${definition.type} event`, toIssues(parsed.error));
  return parsed.data;
}
