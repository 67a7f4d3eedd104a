import { z } from 'zod';
import { EventEnvelope } from './envelope.js';
import { EVENT_DEFINITIONS } from './events/catalog.js';

/**
 * JSON Schema (draft 2020-12) of the envelope and of every event type and version, keyed
 * `<type>@v<version>`: the document other languages and tools read the contracts from.
 */
export function buildEventJsonSchema(): Record<string, unknown> {
  const events: Record<string, unknown> = {};
  for (const definition of EVENT_DEFINITIONS) {
    events[`${definition.type}@v${definition.version}`] = z.toJSONSchema(definition.schema, { io: 'input' });
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'CHOM events',
    description: 'Generated from @chom/contracts by `npm run generate -w @chom/contracts`. Do not edit.',
    envelope: z.toJSONSchema(EventEnvelope, { io: 'input' }),
    events,
  };
}

/** The checked-in file's exact text. */
export function renderEventJsonSchema(): string {
  return `${JSON.stringify(buildEventJsonSchema(), null, 2)}\n`;
}
