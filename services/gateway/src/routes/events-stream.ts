import type { SubjectSpace } from '@chom/contracts';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { z } from 'zod';
import { principalOf } from '../auth/index.js';
import { bearer, errorResponses } from './schemas.js';
import type { GatewayInstance } from './types.js';

export interface EventsStreamDeps {
  nc: NatsConnection;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
  heartbeatMs?: number;
}

const Headers = z.looseObject({
  'last-event-id': z.coerce.number().int().min(0).optional().describe('Stream sequence of the last event received'),
});

const decoder = new TextDecoder();

/**
 * `GET /events/stream`: the caller's tenant's events as Server-Sent Events, live. Each event's
 * SSE id is its stream sequence, so a client reconnecting with `Last-Event-ID` resumes right
 * after it, without gaps. An ordered consumer filtered on `events.<tenant>.>` (the tenant from
 * the token only) means another tenant's event never reaches this connection.
 */
export function eventsStreamRoute(app: GatewayInstance, deps: EventsStreamDeps): void {
  const open = new Set<ConsumerMessages>();
  app.addHook('preClose', async () => {
    await Promise.all([...open].map((m) => m.close()));
  });
  app.get(
    '/events/stream',
    {
      schema: {
        summary: "Live stream of the tenant's events (Server-Sent Events, resumable with Last-Event-ID)",
        tags: ['events'],
        security: bearer,
        headers: Headers,
        response: { ...errorResponses },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const lastId = request.headers['last-event-id'];
      const consumer = await jetstream(deps.nc).consumers.get(deps.space.stream, {
        filter_subjects: `${deps.space.events}.${tenantId}.>`,
        ...(lastId === undefined
          ? { deliver_policy: DeliverPolicy.New }
          : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastId + 1 }),
      });
      const messages = await consumer.consume();
      open.add(messages);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      res.write(': connected\n\n');
      const heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs ?? 15_000);
      const stop = () => {
        clearInterval(heartbeat);
        void messages.close();
      };
      request.raw.once('close', stop);
      try {
        for await (const m of messages) {
          const body = decoder.decode(m.data);
          const type = m.subject.split('.').slice(-2).join('.');
          res.write(`id: ${m.seq}\nevent: ${type}\ndata: ${body.replaceAll('\n', '\ndata: ')}\n\n`);
        }
      } finally {
        stop();
        open.delete(messages);
        res.end();
      }
    },
  );
}
