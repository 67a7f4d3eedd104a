import { TenantId } from './ids.js';

/** Stream and subject roots; tests pass their own so that test files never meet. */
export interface SubjectSpace {
  /** JetStream stream holding every event, e.g. `EVENTS`. */
  stream: string;
  /** Root token of event subjects, e.g. `events`. */
  events: string;
  /** Root token of request/reply service endpoints, e.g. `svc`. */
  services: string;
}

export const DEFAULT_SUBJECT_SPACE: SubjectSpace = Object.freeze({
  stream: 'EVENTS',
  events: 'events',
  services: 'svc',
});

export interface EventSubject {
  tenantId: string;
  aggregate: string;
  action: string;
}

/** `events.<tenantId>.<aggregate>.<action>` for an event type `<aggregate>.<action>`. */
export function eventSubject(space: Pick<SubjectSpace, 'events'>, tenantId: string, type: string): string {
  if (!TenantId.safeParse(tenantId).success)
    throw new Error(`invalid tenant id for a subject: ${JSON.stringify(tenantId)}`);
  const [aggregate, action, ...rest] = type.split('.');
  if (!aggregate || !action || rest.length > 0) throw new Error(`invalid event type for a subject: ${type}`);
  return `${space.events}.${tenantId}.${aggregate}.${action}`;
}

/** Parses an event subject; `undefined` when it is not one. */
export function parseEventSubject(space: Pick<SubjectSpace, 'events'>, subject: string): EventSubject | undefined {
  const prefix = `${space.events}.`;
  if (!subject.startsWith(prefix)) return undefined;
  const [tenantId, aggregate, action, ...rest] = subject.slice(prefix.length).split('.');
  if (!tenantId || !aggregate || !action || rest.length > 0) return undefined;
  return { tenantId, aggregate, action };
}

/** Filter for every event (`events.>`), or for event types across tenants (`events.*.site.created`). */
export function eventFilter(space: Pick<SubjectSpace, 'events'>, type?: string): string {
  if (!type) return `${space.events}.>`;
  const [aggregate, action] = type.split('.');
  return `${space.events}.*.${aggregate}.${action ?? '*'}`;
}

/** `svc.<service>.<operation>` */
export function serviceSubject(space: Pick<SubjectSpace, 'services'>, service: string, operation: string): string {
  return `${space.services}.${service}.${operation}`;
}
