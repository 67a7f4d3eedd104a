import type { NatsConnection } from '@nats-io/nats-core';

/**
 * Whether the connection can carry a request now: open, not draining, and not between a
 * disconnect and the reconnect that follows it (while it reconnects, `isClosed()` is false).
 */
export function trackNatsReadiness(nc: NatsConnection): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'staleConnection') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })();
  return () => connected && !nc.isClosed() && !nc.isDraining();
}
