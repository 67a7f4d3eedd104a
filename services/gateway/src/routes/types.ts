import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IdempotencyStore } from '../idempotency/store.js';
import type { ServiceClient } from '../services.js';

export type GatewayInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What the API routes need: a way to reach the services and the idempotency records. */
export interface RouteDeps {
  services: ServiceClient;
  idempotency: IdempotencyStore;
}
