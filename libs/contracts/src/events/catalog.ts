import type { z } from 'zod';
import { EventEnvelope } from '../envelope.js';
import { ContractError, toIssues } from '../errors.js';
import type { EventDefinition } from './define.js';
import { BackupCompleted, BackupCreated, BackupFailed } from './backup.js';
import { SiteCreated, SiteDeleted, SiteProvisioned, SiteProvisioningFailed, SiteSslExpiring } from './site.js';

/** Every event type and version the system knows. */
export const EVENT_DEFINITIONS = [
  SiteCreated,
  SiteProvisioned,
  SiteProvisioningFailed,
  SiteDeleted,
  SiteSslExpiring,
  BackupCreated,
  BackupCompleted,
  BackupFailed,
] as const;

export type KnownEventDefinition = (typeof EVENT_DEFINITIONS)[number];
export type AnyEvent = z.output<KnownEventDefinition['schema']>;
export type AnyEventType = AnyEvent['type'];

const byKey = new Map<string, EventDefinition>(EVENT_DEFINITIONS.map((d) => [`${d.type}@${d.version}`, d]));

export function findEventDefinition(type: string, version: number): EventDefinition | undefined {
  return byKey.get(`${type}@${version}`);
}

/**
 * Validates an envelope and its payload against the catalogue. Throws `ContractError` for
 * anything malformed and for a type or version this build does not know: neither is fixed
 * by retrying.
 */
export function parseEvent(raw: unknown): AnyEvent {
  const envelope = EventEnvelope.safeParse(raw);
  if (!envelope.success) throw new ContractError('invalid event envelope', toIssues(envelope.error));
  const { type, version } = envelope.data;
  const definition = findEventDefinition(type, version);
  if (!definition) throw new ContractError(`unknown event type or version: ${type} v${version}`);
  const event = definition.schema.safeParse(raw);
  if (!event.success) throw new ContractError(`invalid ${type} v${version} payload`, toIssues(event.error));
  return event.data as AnyEvent;
}

/** The aggregate instance key used to keep one aggregate's events in order. */
export function aggregateKey(event: AnyEvent): string {
  const definition = findEventDefinition(event.type, event.version) as EventDefinition;
  return `${event.type.slice(0, event.type.indexOf('.'))}:${definition.aggregateId(event.data)}`;
}
