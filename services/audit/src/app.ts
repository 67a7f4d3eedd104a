import { eventFilter, type AnyEvent, type ProjectionName, type SubjectSpace } from '@chom/contracts';
import type { Endpoint, ListenerSpec } from '@chom/messaging';
import type { Logger } from '@chom/telemetry';
import type { AuditListenerSettings } from './config.js';
import { createAuditWriter, type InsertEntries } from './db/audit-writer.js';
import { insertAuditEntries, type AuditDb } from './db/queries.js';
import { queryAuditEndpoint } from './endpoints/query-audit.js';
import { recordAudit, recordAuditBatch } from './handlers/record-audit.js';

export const SERVICE_NAME = 'audit';
/** The audit log as a rebuildable projection (`chom replay audit-log`). */
export const AUDIT_PROJECTION = 'audit-log' satisfies ProjectionName;
/** The durable consumer of the audit listener. */
export const AUDIT_LISTENER = 'audit';

export interface AuditDeps {
  db: AuditDb;
  logger: Logger;
}

export interface AuditApp {
  endpoints: Endpoint[];
  listener: {
    spec: ListenerSpec;
    handle: (event: AnyEvent) => Promise<void>;
    handleBatch: (events: readonly AnyEvent[]) => Promise<void>;
  };
}

/** The audit listener: every event of the space, with the configured retry policy. */
export function auditListenerSpec(space: Pick<SubjectSpace, 'events'>, settings: AuditListenerSettings): ListenerSpec {
  return { name: AUDIT_LISTENER, filterSubject: eventFilter(space), ...settings };
}

/** What the service does, apart from how it is connected and started. */
export function buildApp(
  deps: AuditDeps,
  space: Pick<SubjectSpace, 'events'>,
  settings: AuditListenerSettings,
): AuditApp {
  const insert: InsertEntries = (entries) => insertAuditEntries(deps.db, entries);
  const writer = createAuditWriter(insert);
  return {
    endpoints: [queryAuditEndpoint(deps)],
    listener: {
      spec: auditListenerSpec(space, settings),
      handle: (event) => recordAudit(event, { writer, logger: deps.logger }),
      handleBatch: (events) => recordAuditBatch(events, { insert, logger: deps.logger }),
    },
  };
}
