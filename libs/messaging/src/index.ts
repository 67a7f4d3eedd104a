export { connectNats, natsReady } from './connection.js';
export type { NatsSettings } from './connection.js';
export { endpoint, requestOperation, serveEndpoints } from './rpc.js';
export type { Endpoint, EndpointServer, OperationHandler, RequestOptions } from './rpc.js';
export { ensureStream, eventStreamSpec, streamDrift } from './streams.js';
export type { StreamSpec } from './streams.js';
export { consumerDrift, ensureConsumer, validateListenerSpec } from './consumers.js';
export type { ListenerSpec } from './consumers.js';
export { MessagingSetupError, PermanentError } from './errors.js';
export { backoffFor } from './retry.js';
export { startListener } from './listener.js';
export type {
  BatchHandler,
  BatchItem,
  EventHandler,
  HandlerContext,
  Listener,
  ListenerOptions,
  ListenerStats,
} from './listener.js';
export type { ConsumeOutcome } from './metrics.js';
export { publishBatch, startOutboxRelay } from './outbox-relay.js';
export type { OutboxRelay, OutboxRelayOptions } from './outbox-relay.js';
export { pruneProcessedMarks } from './processed-marks.js';
export type { PruneMarksOptions } from './processed-marks.js';
export { failureEndpoints } from './failure-endpoints.js';
export type { FailureEndpointsOptions, RetryableListener, RetryableWork } from './failure-endpoints.js';
export { planReplay, replayStream } from './replay.js';
export { createProjectionRebuilder, needsReset, resumePoint } from './projection-rebuild.js';
export type { ProjectionRebuilder, ProjectionRebuilderOptions } from './projection-rebuild.js';
export { projectionEndpoints } from './projection-endpoints.js';
export type { ReplayFrom, ReplayOptions, ReplayProgress } from './replay.js';
export { eventFilterOf, eventStoreOverview, findEvent, followEvents, recentEvents } from './event-store.js';
export type {
  EventStoreDeps,
  EventStoreOverview,
  RecentEvents,
  RecentEventsQuery,
  StoredEvent,
} from './event-store.js';
export { ackRate, catchUpSeconds, consumersOver, consumerStates, settledDeliveries } from './consumer-monitor.js';
export type { ConsumerMonitorOptions, ConsumerSample, ConsumerState } from './consumer-monitor.js';
