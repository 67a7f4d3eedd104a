import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { AppError, SiteOps, type Site } from '@chom/contracts';
import { currentContext } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint, requestOperation, serveEndpoints } from '../src/index.js';
import { createTestSpace } from '../src/testing/index.js';

const ctx = { tenantId: 't_rpc', actor: { id: 'u_1', type: 'user' as const }, correlationId: 'c-rpc' };

describe('request/reply endpoints', () => {
  const { space, cleanup } = createTestSpace();
  let nc: NatsConnection;
  const seen: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    nc = await connect({ servers: process.env.NATS_URL ?? '127.0.0.1:4222' });
    const { logger } = captureLogger('rpc');
    serveEndpoints(
      nc,
      space,
      [
        endpoint(SiteOps.get, async (request) => {
          seen.push({ ...currentContext() });
          if (request.siteId === '00000000-0000-4000-8000-000000000000')
            throw new AppError('SITE_NOT_FOUND', 'no such site');
          if (request.siteId === '00000000-0000-4000-8000-000000000001') throw new Error('database on fire');
          const now = new Date().toISOString();
          const site: Site = {
            id: request.siteId,
            tenantId: request.ctx.tenantId,
            domain: 'a.example.com',
            siteType: 'html',
            status: 'active',
            vpsId: 'vps-1',
            failureReason: null,
            createdAt: now,
            updatedAt: now,
            provisionedAt: now,
            deletedAt: null,
          };
          return site;
        }),
      ],
      logger,
    );
  });
  afterAll(async () => {
    await cleanup(nc);
    await nc.close();
  });

  it('returns the validated response and restores the caller context with its trace', async () => {
    const siteId = randomUUID();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const site = await requestOperation(nc, space, SiteOps.get, { ctx, siteId }, { headers: { traceparent } });
    expect(site).toMatchObject({ id: siteId, tenantId: 't_rpc' });
    expect(seen.at(-1)).toMatchObject({ tenantId: 't_rpc', correlationId: 'c-rpc', actorId: 'u_1', traceparent });
  });

  it('carries typed errors, hides internal ones, and rejects invalid requests', async () => {
    const call = (siteId: string) => requestOperation(nc, space, SiteOps.get, { ctx, siteId });
    await expect(call('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'SITE_NOT_FOUND' });
    await expect(call('00000000-0000-4000-8000-000000000001')).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'internal error',
    });
    await expect(call('not-a-uuid')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reports a service with no responder as unavailable', async () => {
    const other = { ...space, services: `${space.services}.nobody` };
    await expect(requestOperation(nc, other, SiteOps.get, { ctx, siteId: randomUUID() })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
  });
});
