import { AppError, type ErrorBody, type ErrorCode, type ErrorIssue } from '@chom/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';

/** The one table from error code to HTTP status: adding a code to contracts fails the build until it is mapped. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SITE_NOT_FOUND: 404,
  DOMAIN_TAKEN: 409,
  SITE_NOT_DELETABLE: 409,
  SITE_NOT_ACTIVE: 409,
  BACKUP_NOT_FOUND: 404,
  BACKUP_NOT_READY: 409,
  EVENT_NOT_FOUND: 404,
  CONFLICT: 409,
  REQUEST_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  TIMEOUT: 504,
});

/** What a 5xx says: the cause stays in the log, never in the body. */
const SERVER_MESSAGES: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'internal error',
  SERVICE_UNAVAILABLE: 'a service this request needs is unavailable; retry later',
  TIMEOUT: 'a service this request needs did not answer in time; retry later',
};

/** Fastify's own 4xx errors (body parsing, routing) by their code. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_REQUEST', message: 'request body is empty but its content type is JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_REQUEST',
    message: 'request body does not match its Content-Length',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'content type must be application/json' },
  FST_ERR_NOT_FOUND: { code: 'NOT_FOUND', message: 'no such route' },
};

const PART_NAMES: Record<string, string> = { querystring: 'query', body: 'body', params: 'params', headers: 'headers' };

export interface HttpError {
  status: number;
  body: { error: ErrorBody };
}

interface ValidationFailure {
  instancePath?: string;
  message?: string;
}

function validationIssues(error: FastifyError): ErrorIssue[] {
  const part = PART_NAMES[error.validationContext ?? ''] ?? error.validationContext ?? 'request';
  return (error.validation as ValidationFailure[]).map((v) => {
    const path = (v.instancePath ?? '').split('/').filter(Boolean).join('.');
    return { path: path ? `${part}.${path}` : part, message: v.message ?? 'invalid' };
  });
}

function classify(error: unknown): { code: ErrorCode; message: string; issues?: ErrorIssue[] } {
  if (error instanceof AppError)
    return { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) };
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError && Array.isArray(fastifyError.validation)) {
    return {
      code: 'VALIDATION_FAILED',
      message: 'request does not match the schema',
      issues: validationIssues(fastifyError as FastifyError),
    };
  }
  const known = fastifyError?.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return { code: known.code, message: known.message ?? fastifyError?.message ?? known.code };
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { code: status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST', message: fastifyError?.message ?? 'bad request' };
  }
  return { code: 'INTERNAL', message: 'internal error' };
}

/** Maps anything thrown while serving a request to its status and the one error body. */
export function toHttpError(error: unknown, requestId?: string): HttpError {
  const { code, message, issues } = classify(error);
  const status = HTTP_STATUS[code];
  const serverError = status >= 500;
  const body: ErrorBody = {
    code,
    message: serverError ? (SERVER_MESSAGES[code] ?? 'internal error') : message,
    ...(issues && !serverError ? { issues } : {}),
    ...(requestId ? { requestId } : {}),
  };
  return { status, body: { error: body } };
}

/** Installs the error and not-found handlers that render every failure through `toHttpError`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error, request.id);
    if (status === 500) request.log.error({ err: error, code: body.error.code }, 'request failed');
    else if (status > 500) request.log.warn({ err: error, code: body.error.code }, 'upstream unavailable');
    else request.log.info({ code: body.error.code, status }, 'request rejected');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toHttpError(
      new AppError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`),
      request.id,
    );
    return reply.code(status).send(body);
  });
}
