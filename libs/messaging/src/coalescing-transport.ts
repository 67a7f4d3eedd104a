import type { Socket } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { NatsConnectionImpl, setTransportFactory } from '@nats-io/nats-core/internal';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
// The Node transport class is not re-exported by the package's entry point; the package has no
// exports map, so its module is importable as is (pinned by the package lock).
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';

/**
 * nats.js hands its outbound buffer to the socket at the end of each microtask checkpoint, so a
 * process that publishes from many callbacks of one event-loop turn (the gateway, one request per
 * HTTP request; a consumer, one batch of acknowledgements per finished batch; the site service,
 * one reply per request) makes one write(2) each, and the broker one read and one thread wake-up
 * each. This transport corks the socket at the turn's first write and uncorks it in the turn's
 * check phase (`setImmediate`): the turn's frames leave as one `writev`, in order. A frame waits
 * at most for the rest of the turn; closing the socket (`end`) uncorks it first.
 */
export class CoalescingTransport extends NodeTransport {
  #corked = false;

  override send(frame: Uint8Array): void {
    const socket = this.socket as Socket | undefined;
    if (socket && !this.#corked && !this.isClosed) {
      socket.cork();
      this.#corked = true;
      setImmediate(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    super.send(frame);
  }
}

/**
 * `connect` of `@nats-io/transport-node`, with {@link CoalescingTransport} for this connection and
 * its reconnections. The transport factory is process-wide in nats.js: a later plain `connect` in
 * the same process sets its own for the connections it makes and redials.
 */
export function connectCoalescing(options: NodeConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new CoalescingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}
