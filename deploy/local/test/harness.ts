import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import postgres from 'postgres';
import { SERVICES, stackConfig, startStack } from '../stack.mjs';

export const ADMIN_URL = process.env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The niceness of every thread of a process, from `/proc/<pid>/task/<tid>/stat` (Linux). */
export async function threadNiceness(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const values = await Promise.all(
    tasks.map(async (tid) => {
      const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
      // Fields after the command name (which may hold spaces): state is field 3, nice field 19.
      return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    }),
  );
  return values.filter((n): n is number => n !== undefined);
}

/**
 * A whole system of real processes for one test file: its own databases, stream, subjects,
 * ports and idempotency bucket, so it never meets a developer's stack or another test's.
 */
export async function startTestStack(name: string, extraEnv: Record<string, Record<string, string>> = {}) {
  const id = `${name}_${randomBytes(3).toString('hex')}`;
  const backupDir = await mkdtemp(join(tmpdir(), `chom-e2e-${name}-`));
  const config = stackConfig({
    natsUrl: NATS_URL,
    postgresUrl: ADMIN_URL,
    databasePrefix: `chom_e2e_${id}_`,
    httpPort: await freePort(),
    opsPorts: {
      site: await freePort(),
      audit: await freePort(),
      backup: await freePort(),
      notification: await freePort(),
      metrics: await freePort(),
    },
    space: { stream: `E2E_${id.toUpperCase()}`, events: `e2e_${id}.events`, services: `e2e_${id}.svc` },
    idempotencyBucket: `idem_e2e_${id}`,
    quiet: process.env.E2E_LOGS !== '1',
    extraEnv: {
      ...extraEnv,
      // Small pools: several test stacks and test databases share one Postgres (100 connections).
      all: { LOG_LEVEL: 'warn', DATABASE_POOL_MAX: '4', ...extraEnv.all },
      backup: { BACKUP_STORAGE_DIR: backupDir, ...extraEnv.backup },
    },
  });
  const stack = await startStack(config);
  const sql = (database: string) =>
    postgres(`${ADMIN_URL}/${config.databasePrefix}${database}`, { max: 2, onnotice: () => {} });

  async function cleanup() {
    await stack.stop();
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(config.space.stream).catch(() => undefined);
      await new Kvm(nc)
        .open(config.idempotencyBucket)
        .then((kv) => kv.destroy())
        .catch(() => undefined);
    } finally {
      await nc.close();
    }
    const admin = postgres(`${ADMIN_URL}/postgres`, { max: 1, onnotice: () => {} });
    try {
      for (const service of SERVICES.filter((s) => s.database)) {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${config.databasePrefix}${service.database}" WITH (FORCE)`);
      }
    } finally {
      await admin.end();
    }
    await rm(backupDir, { recursive: true, force: true });
  }

  return { stack, config, sql, cleanup, backupDir };
}

export function api(stack: Stack, token: string) {
  return async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
}

/** Runs `fn` over `items` with at most `limit` running at once. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index] as T, index);
      }
    }),
  );
  return results;
}
