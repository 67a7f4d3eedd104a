import type { JetStreamManager } from '@nats-io/jetstream';
import { emit, table, type Output } from '../format.js';

export interface ConsumerState {
  name: string;
  filter: string | null;
  pending: number;
  ackPending: number;
  redelivered: number;
  /** Events not yet handled: pending + ack-pending. */
  behind: number;
  lastDelivery: string | null;
  lastAck: string | null;
  /** Age of the oldest event not yet acknowledged, in seconds; 0 when caught up. */
  lagSeconds: number;
}

/** Every durable consumer of the stream with its backlog and lag. */
export async function consumerStates(jsm: JetStreamManager, stream: string): Promise<ConsumerState[]> {
  const states: ConsumerState[] = [];
  for await (const info of jsm.consumers.list(stream)) {
    const behind = info.num_pending + info.num_ack_pending;
    let lagSeconds = 0;
    if (behind > 0) {
      try {
        const oldest = await jsm.streams.getMessage(stream, { seq: info.ack_floor.stream_seq + 1 });
        if (oldest) lagSeconds = Math.max(0, (Date.now() - oldest.time.getTime()) / 1000);
      } catch {
        lagSeconds = 0;
      }
    }
    states.push({
      name: info.name,
      filter: info.config.filter_subject ?? null,
      pending: info.num_pending,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
      behind,
      lastDelivery: timeOf(info.delivered.last_active),
      lastAck: timeOf(info.ack_floor.last_active),
      lagSeconds: Math.round(lagSeconds * 10) / 10,
    });
  }
  return states.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `chom consumers [--max N]`: prints every consumer; with `max`, returns exit code 1 when
 * any consumer has more than `max` events not yet handled (the `queue:monitor` threshold).
 */
export async function consumersCommand(
  jsm: JetStreamManager,
  stream: string,
  out: Output,
  max: number | undefined,
): Promise<number> {
  const states = await consumerStates(jsm, stream);
  const over = max === undefined ? [] : states.filter((s) => s.behind > max).map((s) => s.name);
  emit(out, { stream, consumers: states, max: max ?? null, over }, ({ consumers }) => {
    const text = table(consumers as unknown as Record<string, unknown>[], [
      'name',
      'pending',
      'ackPending',
      'redelivered',
      'lagSeconds',
      'lastDelivery',
    ]);
    return over.length > 0 ? `${text}\nover --max ${max}: ${over.join(', ')}` : text;
  });
  return over.length > 0 ? 1 : 0;
}

/** The server sends `last_active` as an RFC 3339 time, whatever the client's types say. */
function timeOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
