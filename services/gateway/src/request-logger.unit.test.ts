import { PassThrough } from 'node:stream';
import { createLogger } from '@chom/telemetry';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { lazyRequestLogger } from './request-logger.js';

function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const root = createLogger({ service: 'gateway', level, destination });
  return { root, lines };
}

function requestLogger(root: FastifyBaseLogger, options = {}) {
  return lazyRequestLogger.call(null as never, root, { requestId: 'req-1' }, options, null as never);
}

describe('lazyRequestLogger', () => {
  it('writes a line with every binding of the chain, in order', async () => {
    const { root, lines } = logger('info');
    const log = requestLogger(root).child({ tenantId: 't_1' }).child({ trace_id: 'abc' });
    log.info({ status: 400 }, 'request rejected');
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({
      requestId: 'req-1',
      tenantId: 't_1',
      trace_id: 'abc',
      status: 400,
      msg: 'request rejected',
    });
    expect(Object.keys(lines[0]!).filter((k) => ['requestId', 'tenantId', 'trace_id'].includes(k))).toEqual([
      'requestId',
      'tenantId',
      'trace_id',
    ]);
  });

  it('follows the root level: below it nothing is written, above it the line is', async () => {
    const { root, lines } = logger('warn');
    const log = requestLogger(root).child({ tenantId: 't_1' });
    log.info('not written');
    log.debug('not written');
    expect(log.level).toBe('warn');
    log.warn('written');
    log.error('written too');
    await expect.poll(() => lines.map((l) => l.msg)).toEqual(['written', 'written too']);
    expect(lines[1]).toMatchObject({ requestId: 'req-1', tenantId: 't_1' });
  });

  it('makes no pino child until a line is written', () => {
    const { root } = logger('warn');
    const child = vi.spyOn(root, 'child');
    const log = requestLogger(root).child({ tenantId: 't_1' }).child({ trace_id: 'abc' });
    log.info('below the level');
    expect(child).not.toHaveBeenCalled();
    log.warn('written');
    expect(child).toHaveBeenCalledTimes(1);
  });

  it('a level set on the request logger applies to it alone', async () => {
    const { root, lines } = logger('warn');
    const log = requestLogger(root);
    log.level = 'debug';
    log.debug('written at debug');
    requestLogger(root).debug('not written');
    await expect.poll(() => lines.map((l) => l.msg)).toEqual(['written at debug']);
    expect(root.level).toBe('warn');
  });

  it('a route level is a real child at once', async () => {
    const { root, lines } = logger('warn');
    const log = requestLogger(root, { level: 'info' });
    log.info('route at info');
    await expect.poll(() => lines.map((l) => l.msg)).toEqual(['route at info']);
  });
});
