import { AppError, type Operation, type RequestContext, type SubjectSpace } from '@chom/contracts';
import { requestOperation } from '@chom/messaging';
import type { NatsConnection } from '@nats-io/nats-core';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { principalOf } from './auth/index.js';
import { traceContextOf } from './http-tracing.js';

export interface ServiceClient {
  /** Calls `operation` on its owning service as the authenticated caller of `request`. */
  call<O extends Operation>(
    request: FastifyRequest,
    operation: O,
    payload: Omit<z.input<O['request']>, 'ctx'>,
  ): Promise<z.output<O['response']>>;
  /** Calls an operator operation (no tenant context); only admin routes, which check the role, use it. */
  operate<O extends Operation>(
    request: FastifyRequest,
    operation: O,
    payload: z.input<O['request']>,
  ): Promise<z.output<O['response']>>;
}

/** The tenant and actor come from the verified token only, never from the request body. */
export function requestContext(request: FastifyRequest): RequestContext {
  const principal = principalOf(request);
  return { tenantId: principal.tenantId, actor: { id: principal.userId, type: 'user' }, correlationId: request.id };
}

export function serviceClient(
  nc: NatsConnection,
  space: Pick<SubjectSpace, 'services'>,
  timeoutMs: number,
): ServiceClient {
  return {
    async call(request, operation, payload) {
      if (nc.isClosed() || nc.isDraining()) throw new AppError('SERVICE_UNAVAILABLE', 'not connected to the services');
      const body = { ...payload, ctx: requestContext(request) } as z.input<(typeof operation)['request']>;
      // The CLIENT span is a child of the request's SERVER span (which continues the caller's traceparent).
      const parent = traceContextOf(request);
      return requestOperation(nc, space, operation, body, { timeoutMs, ...(parent ? { parent } : {}) });
    },
    async operate(request, operation, payload) {
      if (nc.isClosed() || nc.isDraining()) throw new AppError('SERVICE_UNAVAILABLE', 'not connected to the services');
      const parent = traceContextOf(request);
      return requestOperation(nc, space, operation, payload, { timeoutMs, ...(parent ? { parent } : {}) });
    },
  };
}
