export { Actor, ActorType, SYSTEM_ACTOR, TenantId, uuidv7, uuidv7Floor } from './ids.js';
export { BackupType, Hostname, IsoDateTime, SiteStatus, SiteType } from './domain.js';
export { EventEnvelope, EventType, aggregateOf } from './envelope.js';
export { AppError, ContractError, ErrorBody, ErrorCode, ErrorIssue, toIssues } from './errors.js';
export { defineEvent } from './events/define.js';
export type { Event, EventDefinition, EventOf } from './events/define.js';
export { SiteCreated, SiteDeleted, SiteProvisioned, SiteProvisioningFailed, SiteSslExpiring } from './events/site.js';
export { BackupCompleted, BackupCreated, BackupFailed } from './events/backup.js';
export { EVENT_DEFINITIONS, aggregateKey, findEventDefinition, parseEvent } from './events/catalog.js';
export type { AnyEvent, AnyEventType, KnownEventDefinition } from './events/catalog.js';
export { createEvent } from './events/create.js';
export type { EventContext } from './events/create.js';
export { DEFAULT_SUBJECT_SPACE, eventFilter, eventSubject, parseEventSubject, serviceSubject } from './subjects.js';
export type { EventSubject, SubjectSpace } from './subjects.js';
export { Cursor, PageLimit, RequestContext, defineOperation, page, replySchema } from './rpc/common.js';
export type { Operation, Reply } from './rpc/common.js';
export { CreateSiteInput, DomainInput, ListSitesQuery, Site, SiteOps, SitePage } from './rpc/site.js';
export {
  BACKUP_CHUNK_MAX_BYTES,
  Backup,
  BackupChunk,
  BackupDownload,
  BackupOps,
  BackupPage,
  BackupStatus,
  CreateBackupInput,
  ListBackupsQuery,
} from './rpc/backup.js';
export { AuditEntry, AuditOps, AuditPage, AuditQuery, AuditSeverity } from './rpc/audit.js';
export { MetricsOps, TenantStats } from './rpc/metrics.js';
export {
  BulkRetryResult,
  FailureFilter,
  FailureList,
  FailureStatus,
  FailureView,
  LISTENER_SERVICES,
  RetryOutcome,
  failureOps,
} from './rpc/failures.js';
export type { FailureOps } from './rpc/failures.js';
export type { ProjectionName } from './rpc/projections.js';
export {
  PROJECTION_ALIASES,
  PROJECTIONS,
  ProjectionStatus,
  RebuildState,
  ReplayStart,
  findProjection,
  projectionOps,
} from './rpc/projections.js';
export {
  CreateWebhookInput,
  CreatedWebhook,
  ListNotificationsQuery,
  Notification,
  NotificationOps,
  NotificationPage,
  NotificationSeverity,
  ReadAllResult,
  Webhook,
  WebhookList,
  WebhookUrl,
} from './rpc/notification.js';
export { buildEventJsonSchema, renderEventJsonSchema } from './json-schema.js';
