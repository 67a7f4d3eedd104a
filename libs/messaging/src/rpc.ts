import {
  headers as natsHeaders,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/nats-core';
import {
  AppError,
  ContractError,
  ErrorBody,
  replySchema,
  serviceSubject,
  toIssues,
  type Operation,
  type Reply,
  type SubjectSpace,
} from '@chom/contracts';
import {
  extractTraceContext,
  recordError,
  runWithContext,
  SpanKind,
  traceHeaders,
  withSpan,
  type Attributes,
  type Context,
  type ExecutionContext,
  type Logger,
  type Span,
} from '@chom/telemetry';
import type { z } from 'zod';

/** Implementation of one operation: takes the validated request, returns the response. */
export type OperationHandler<O extends Operation> = (
  request: z.output<O['request']>,
) => Promise<z.input<O['response']>>;

export interface Endpoint<O extends Operation = Operation> {
  operation: O;
  handler: OperationHandler<O>;
}

/** Pairs an operation with its handler, keeping the two types tied. */
export function endpoint<O extends Operation>(operation: O, handler: OperationHandler<O>): Endpoint {
  return { operation, handler } as unknown as Endpoint;
}

export interface EndpointServer {
  /** Stops taking requests and waits for the ones in flight. */
  drain(): Promise<void>;
  inFlight(): number;
}

const encoder = new TextEncoder();

function encodeReply(reply: Reply<unknown>): Uint8Array {
  return encoder.encode(JSON.stringify(reply));
}

/**
 * Serves operations on `svc.<service>.<operation>` in a queue group named after the service,
 * so replicas share the requests. Requests and responses are validated against the
 * contracts on this side too; an `AppError` becomes its typed error reply, anything else an
 * `INTERNAL` reply whose details stay in the log.
 */
export function serveEndpoints(
  nc: NatsConnection,
  space: Pick<SubjectSpace, 'services'>,
  endpoints: Endpoint[],
  logger: Logger,
): EndpointServer {
  let inFlight = 0;
  const idle: Array<() => void> = [];
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) idle.splice(0).forEach((resolve) => resolve());
  };
  const subscriptions: Subscription[] = endpoints.map(({ operation, handler }) =>
    nc.subscribe(serviceSubject(space, operation.service, operation.name), {
      queue: operation.service,
      callback: (error, msg) => {
        if (error) {
          logger.error({ err: error, operation: operation.name }, 'endpoint subscription failed');
          return;
        }
        inFlight += 1;
        void respond(operation, handler, msg, logger).finally(settle);
      },
    }),
  );
  return {
    inFlight: () => inFlight,
    async drain() {
      await Promise.all(subscriptions.map((s) => s.drain()));
      if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}

/** RPC span attributes of one operation (a NATS request/reply on `subject`). */
function rpcAttributes(operation: Operation, subject: string): Attributes {
  return {
    'rpc.system': 'nats',
    'rpc.service': operation.service,
    'rpc.method': operation.name,
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
  };
}

/** Typed errors the caller caused are not the service's failures: only `error.type` on the span. */
function classifyRpcError(error: unknown): { code?: string; expected?: boolean } {
  if (!(error instanceof AppError)) return {};
  return { code: error.code, expected: !SERVER_FAULTS.has(error.code) };
}

const SERVER_FAULTS = new Set(['INTERNAL', 'SERVICE_UNAVAILABLE', 'TIMEOUT']);

/** Runs one request in a SERVER span whose parent is the caller's (`traceparent` header). */
function respond(operation: Operation, handler: OperationHandler<Operation>, msg: Msg, logger: Logger) {
  return withSpan(
    `${operation.service}/${operation.name}`,
    {
      kind: SpanKind.SERVER,
      attributes: rpcAttributes(operation, msg.subject),
      parent: extractTraceContext({
        traceparent: msg.headers?.get('traceparent') || undefined,
        tracestate: msg.headers?.get('tracestate') || undefined,
      }),
    },
    (span) => answer(operation, handler, msg, logger, span),
  );
}

async function answer(
  operation: Operation,
  handler: OperationHandler<Operation>,
  msg: Msg,
  logger: Logger,
  span: Span,
) {
  let reply: Reply<unknown>;
  let context: ExecutionContext = {};
  try {
    const parsed = operation.request.safeParse(msg.json());
    if (!parsed.success)
      throw new ContractError(`invalid ${operation.service}.${operation.name} request`, toIssues(parsed.error));
    const ctx = (
      parsed.data as { ctx?: { tenantId: string; correlationId: string; actor: { id: string; type: string } } }
    ).ctx;
    if (ctx) span.setAttribute('chom.tenant_id', ctx.tenantId);
    context = {
      ...(ctx
        ? { tenantId: ctx.tenantId, correlationId: ctx.correlationId, actorId: ctx.actor.id, actorType: ctx.actor.type }
        : {}),
    };
    const data = await runWithContext(context, () => handler(parsed.data));
    reply = { ok: true, data: operation.response.parse(data) };
  } catch (error) {
    recordError(span, error, classifyRpcError(error));
    if (error instanceof AppError) {
      reply = { ok: false, error: error.toBody() };
    } else if (error instanceof SyntaxError) {
      reply = { ok: false, error: { code: 'BAD_REQUEST', message: 'request is not valid JSON' } };
    } else {
      runWithContext(context, () =>
        logger.error({ err: error, operation: `${operation.service}.${operation.name}` }, 'endpoint failed'),
      );
      reply = { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
    }
  }
  msg.respond(encodeReply(reply));
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Extra headers. A `traceparent` here is the parent when no `parent` is given. */
  headers?: Record<string, string>;
  /** Trace context the CLIENT span is a child of; default the current one. */
  parent?: Context;
}

/**
 * Calls one operation and returns its validated response; a typed error reply is thrown
 * as `AppError` with the service's code; no responder or no answer in time become
 * `SERVICE_UNAVAILABLE` and `TIMEOUT`.
 */
export async function requestOperation<O extends Operation>(
  nc: NatsConnection,
  space: Pick<SubjectSpace, 'services'>,
  operation: O,
  request: z.input<O['request']>,
  options: RequestOptions = {},
): Promise<z.output<O['response']>> {
  const subject = serviceSubject(space, operation.service, operation.name);
  const parent = options.parent ?? (options.headers?.traceparent ? extractTraceContext(options.headers) : undefined);
  return withSpan(
    `${operation.service}/${operation.name}`,
    {
      kind: SpanKind.CLIENT,
      attributes: rpcAttributes(operation, subject),
      classify: classifyRpcError,
      ...(parent ? { parent } : {}),
    },
    () => call(nc, subject, operation, request, options),
  );
}

async function call<O extends Operation>(
  nc: NatsConnection,
  subject: string,
  operation: O,
  request: z.input<O['request']>,
  options: RequestOptions,
): Promise<z.output<O['response']>> {
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries({ ...options.headers, ...traceHeaders() })) hdrs.set(key, value);
  let msg: Msg;
  try {
    msg = await nc.request(subject, encoder.encode(JSON.stringify(request)), {
      timeout: options.timeoutMs ?? 5_000,
      headers: hdrs,
    });
  } catch (error) {
    if (isNoResponders(error))
      throw new AppError('SERVICE_UNAVAILABLE', `${operation.service} service unavailable`, { cause: error });
    if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
      throw new AppError('TIMEOUT', `${operation.service} service did not answer in time`, { cause: error });
    }
    throw error;
  }
  const reply = replySchema(operation.response).safeParse(msg.json());
  if (!reply.success) throw new Error(`malformed reply from ${subject}: ${reply.error.message}`);
  if (!reply.data.ok) {
    const body = ErrorBody.parse(reply.data.error);
    throw new AppError(body.code, body.message, body.issues ? { issues: body.issues } : undefined);
  }
  return reply.data.data as z.output<O['response']>;
}

function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}
