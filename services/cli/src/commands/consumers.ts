import { consumersOver, consumerStates } from '@chom/messaging';
import type { JetStreamManager } from '@nats-io/jetstream';
import { emit, table, type Output } from '../format.js';

/**
 * `chom consumers [--max N] [--sample-ms MS]`: prints every durable consumer with its rate over
 * `sampleMs`; with `max`, returns exit code 1 when any consumer has more than `max` events not yet
 * handled (the `queue:monitor` threshold), 0 otherwise.
 */
export async function consumersCommand(
  jsm: JetStreamManager,
  stream: string,
  out: Output,
  options: { max: number | undefined; sampleMs: number; signal?: AbortSignal },
): Promise<number> {
  const { max, sampleMs } = options;
  const states = await consumerStates(jsm, stream, { sampleMs, ...(options.signal ? { signal: options.signal } : {}) });
  const over = max === undefined ? [] : consumersOver(states, max);
  emit(out, { stream, sampleMs, consumers: states, max: max ?? null, over }, ({ consumers }) => {
    const text = table(
      consumers.map((c) => ({ ...c, 'acks/s': c.ackRate, 'catch-up s': c.catchUpSeconds })),
      ['name', 'pending', 'ackPending', 'redelivered', 'lagSeconds', 'acks/s', 'catch-up s', 'lastDelivery'],
    );
    return over.length > 0 ? `${text}\nover --max ${max}: ${over.join(', ')}` : text;
  });
  return over.length > 0 ? 1 : 0;
}
