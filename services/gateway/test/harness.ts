import { randomBytes, randomUUID } from 'node:crypto';
import {
  AppError,
  AuditOps,
  MetricsOps,
  SiteOps,
  type AuditEntry,
  type Site,
  type SubjectSpace,
} from '@chom/contracts';
import { connectNats, endpoint, serveEndpoints, type EndpointServer } from '@chom/messaging';
import { createMetricsRegistry } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { buildApp, type GatewayDeps } from '../src/app.js';
import { signToken, type Role } from '../src/auth/index.js';
import { kvIdempotencyStore, openIdempotencyBucket } from '../src/idempotency/store.js';
import type { GatewayInstance } from '../src/routes/types.js';

export const SECRET = 'integration-test-secret-0123456789abcdef';
export const NATS_URL = 'nats://127.0.0.1:4222';

/** A subject root no other test file shares (the gateway needs no stream). */
export function randomSpace(): Pick<SubjectSpace, 'services'> {
  return { services: `t${randomBytes(6).toString('hex')}.svc` };
}

export function token(tenantId: string, role: Role = 'owner', userId = `user-of-${tenantId}`): Promise<string> {
  return signToken({ secret: SECRET, tenantId, userId, role, ttlSeconds: 300 });
}

export async function bearer(tenantId: string, role: Role = 'owner'): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await token(tenantId, role)}` };
}

/** Blocks a stub call until released: lets tests hold a request in flight. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Stand-ins for the site and audit services: in memory, tenant-scoped like the real ones. */
export function stubServices() {
  const sites = new Map<string, Site>();
  const calls: Array<{ op: string; request: unknown }> = [];
  const holds = new Map<string, Promise<void>>();
  const auditEntries: AuditEntry[] = [];
  const owned = (tenantId: string, siteId: string) => {
    const site = sites.get(siteId);
    if (!site || site.tenantId !== tenantId) throw new AppError('SITE_NOT_FOUND', `site ${siteId} not found`);
    return site;
  };
  const endpoints = [
    endpoint(SiteOps.create, async (request) => {
      calls.push({ op: 'site.create', request });
      await holds.get(request.domain);
      const { tenantId } = request.ctx;
      if (
        [...sites.values()].some(
          (s) => s.tenantId === tenantId && s.domain === request.domain && s.status !== 'deleted',
        )
      ) {
        throw new AppError('DOMAIN_TAKEN', `${request.domain} is taken`);
      }
      const now = new Date().toISOString();
      const site: Site = {
        id: randomUUID(),
        tenantId,
        domain: request.domain,
        siteType: request.siteType,
        status: 'creating',
        vpsId: null,
        failureReason: null,
        createdAt: now,
        updatedAt: now,
        provisionedAt: null,
        deletedAt: null,
      };
      sites.set(site.id, site);
      return site;
    }),
    endpoint(SiteOps.get, async (request) => {
      calls.push({ op: 'site.get', request });
      return owned(request.ctx.tenantId, request.siteId);
    }),
    endpoint(SiteOps.list, async (request) => {
      calls.push({ op: 'site.list', request });
      const items = [...sites.values()].filter(
        (s) => s.tenantId === request.ctx.tenantId && (!request.status || s.status === request.status),
      );
      return { items: items.slice(0, request.limit), nextCursor: items.length > request.limit ? 'more' : null };
    }),
    endpoint(SiteOps.delete, async (request) => {
      calls.push({ op: 'site.delete', request });
      const site = owned(request.ctx.tenantId, request.siteId);
      const deleted: Site = { ...site, status: 'deleted', deletedAt: new Date().toISOString() };
      sites.set(site.id, deleted);
      return deleted;
    }),
    endpoint(AuditOps.query, async (request) => {
      calls.push({ op: 'audit.query', request });
      return { items: auditEntries.filter((e) => e.tenantId === request.ctx.tenantId), nextCursor: null };
    }),
    endpoint(MetricsOps.tenantStats, async (request) => {
      calls.push({ op: 'metrics.tenant-stats', request });
      const live = [...sites.values()].filter((s) => s.tenantId === request.ctx.tenantId && s.status !== 'deleted');
      const count = (status: Site['status']) => live.filter((s) => s.status === status).length;
      return {
        tenantId: request.ctx.tenantId,
        sites: {
          live: live.length,
          provisioning: count('provisioning'),
          active: count('active'),
          failed: count('failed'),
        },
        backups: { completed: 0, failed: 0, bytes: 0, lastBackupAt: null },
        updatedAt: null,
      };
    }),
  ];
  return { endpoints, sites, calls, holds, auditEntries };
}

export interface Harness {
  app: GatewayInstance;
  nc: NatsConnection;
  jsm: JetStreamManager;
  kv: KV;
  space: Pick<SubjectSpace, 'services'>;
  stubs: ReturnType<typeof stubServices>;
  logs: Record<string, unknown>[];
  /** Another gateway on the same connection and bucket, e.g. with other limits or no services behind it. */
  extraApp(overrides?: Partial<GatewayDeps['config']>, space?: Pick<SubjectSpace, 'services'>): GatewayInstance;
  close(): Promise<void>;
}

const BASE_CONFIG: GatewayDeps['config'] = {
  jwtSecret: SECRET,
  requestTimeoutMs: 2_000,
  bodyLimitBytes: 64 * 1024,
  rateLimit: { max: 1_000, windowMs: 60_000 },
};

/** A gateway on the real NATS with stub services on a fresh subject root and a fresh KV bucket. */
export async function startHarness(): Promise<Harness> {
  const { logger, lines } = captureLogger('gateway');
  const nc = await connectNats({ servers: NATS_URL, name: 'gateway-test' }, logger);
  const jsm = await jetstreamManager(nc);
  const space = randomSpace();
  const bucket = `idem_${randomBytes(6).toString('hex')}`;
  const kv = await openIdempotencyBucket(nc, bucket, 60_000);
  const idempotency = kvIdempotencyStore(kv, { bucket, ttlMs: 60_000, leaseMs: 30_000 });
  const stubs = stubServices();
  const servers: EndpointServer[] = [serveEndpoints(nc, space, stubs.endpoints, logger)];
  await nc.flush();
  const apps: GatewayInstance[] = [];
  const make = (overrides: Partial<GatewayDeps['config']> = {}, appSpace = space) => {
    const app = buildApp({
      config: { ...BASE_CONFIG, ...overrides },
      nc,
      jsm,
      space: appSpace,
      idempotency,
      logger,
      registry: createMetricsRegistry('gateway', { defaultMetrics: false }),
    });
    apps.push(app);
    return app;
  };
  const app = make();
  await app.ready();
  return {
    app,
    nc,
    jsm,
    kv,
    space,
    stubs,
    logs: lines,
    extraApp: make,
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(servers.map((s) => s.drain()));
      await kv.destroy();
      await nc.drain();
    },
  };
}
