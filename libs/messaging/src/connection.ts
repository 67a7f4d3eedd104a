import { readFile } from 'node:fs/promises';
import { credsAuthenticator, type NatsConnection } from '@nats-io/nats-core';
import type { Logger } from '@chom/telemetry';
import { connectCoalescing } from './coalescing-transport.js';

export interface NatsSettings {
  /** Comma-separated server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string;
  /** The connection name the broker shows: the service's name. */
  name: string;
  user?: string | undefined;
  password?: string | undefined;
  credsFile?: string | undefined;
}

/**
 * Connects under the service's own name (and credentials, where configured), reconnecting
 * forever: a broker restart must not end a service. Writes to the broker are coalesced per
 * event-loop turn ({@link connectCoalescing}).
 */
export async function connectNats(settings: NatsSettings, logger: Logger): Promise<NatsConnection> {
  const authenticator = settings.credsFile
    ? credsAuthenticator(new Uint8Array(await readFile(settings.credsFile)))
    : undefined;
  const nc = await connectCoalescing({
    servers: settings.servers.split(',').map((s) => s.trim()),
    name: settings.name,
    ...(settings.user ? { user: settings.user, pass: settings.password ?? '' } : {}),
    ...(authenticator ? { authenticator } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    // Otherwise every request, publish and timer builds an Error up front, only to give a
    // timeout the caller's stack: 6 % of the gateway's CPU under load (bench profile). Spans
    // and logs already say which call it was.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        logger.warn(
          { nats: status.type, server: 'server' in status ? status.server : undefined },
          'nats connection status',
        );
      }
    }
  })();
  logger.info({ server: nc.getServer() }, 'connected to nats');
  return nc;
}

/** Connected and answering: a PING round trip within `timeoutMs` (a reconnecting client queues it). */
export async function natsReady(nc: NatsConnection, timeoutMs = 1_000): Promise<boolean> {
  if (nc.isClosed() || nc.isDraining()) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([nc.flush().then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
