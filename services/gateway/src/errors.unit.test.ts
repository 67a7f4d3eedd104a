import { AppError, ErrorCode } from '@chom/contracts';
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS, toHttpError } from './errors.js';

function fastifyError(code: string, statusCode: number, message = 'fastify says no') {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toHttpError', () => {
  it('maps every contract error code to a status', () => {
    for (const code of ErrorCode.options) expect(HTTP_STATUS[code]).toBeGreaterThanOrEqual(400);
  });

  it.each([
    ['VALIDATION_FAILED', 400],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['SITE_NOT_FOUND', 404],
    ['DOMAIN_TAKEN', 409],
    ['REQUEST_IN_PROGRESS', 409],
    ['IDEMPOTENCY_KEY_REUSED', 422],
    ['RATE_LIMITED', 429],
    ['SERVICE_UNAVAILABLE', 503],
    ['TIMEOUT', 504],
  ] as const)('%s -> %i', (code, status) => {
    expect(toHttpError(new AppError(code, 'x')).status).toBe(status);
  });

  it('keeps a 4xx message and issues, adds the request id', () => {
    const error = new AppError('VALIDATION_FAILED', 'bad domain', { issues: [{ path: 'domain', message: 'nope' }] });
    expect(toHttpError(error, 'req-1')).toEqual({
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'bad domain',
          issues: [{ path: 'domain', message: 'nope' }],
          requestId: 'req-1',
        },
      },
    });
  });

  it('never leaks details of a 5xx', () => {
    const internal = toHttpError(new Error('connection string postgres://secret@db'), 'r');
    expect(internal).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error', requestId: 'r' } },
    });
    const unavailable = toHttpError(new AppError('SERVICE_UNAVAILABLE', "no responders: 'svc.site.create'"));
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error.message).not.toContain('svc.site');
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'BAD_REQUEST', 400],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'BAD_REQUEST', 400],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE', 415],
    ['FST_ERR_SOMETHING_NEW', 400, 'BAD_REQUEST', 400],
    ['FST_ERR_SOMETHING_BROKEN', 500, 'INTERNAL', 500],
  ] as const)('fastify %s (%i) -> %s %i', (fstCode, fstStatus, code, status) => {
    const mapped = toHttpError(fastifyError(fstCode, fstStatus));
    expect(mapped.status).toBe(status);
    expect(mapped.body.error.code).toBe(code);
  });

  it('turns schema validation failures into VALIDATION_FAILED issues naming the request part', () => {
    const error = Object.assign(new Error('schema'), {
      validation: [
        { instancePath: '/domain', message: 'Invalid string' },
        { instancePath: '', message: 'Unrecognized key: "x"' },
      ],
      validationContext: 'body',
    });
    expect(toHttpError(error).body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'request does not match the schema',
      issues: [
        { path: 'body.domain', message: 'Invalid string' },
        { path: 'body', message: 'Unrecognized key: "x"' },
      ],
    });
  });
});
