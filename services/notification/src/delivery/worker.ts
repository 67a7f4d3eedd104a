import { AppError } from '@chom/contracts';
import { backoffFor } from '@chom/messaging';
import type { FailureStore } from '@chom/db';
import { Counter, type Logger, type Registry } from '@chom/telemetry';
import type { DeliverySettings } from '../config.js';
import {
  claimDeliveries,
  claimFailedDelivery,
  markAttemptFailed,
  markCancelled,
  markSent,
  type ClaimedDelivery,
} from '../db/delivery-queries.js';
import { findWebhook, type Db } from '../db/queries.js';
import { openSecret } from '../secrets.js';
import type { EmailSender, WebhookSender } from './senders.js';

export interface DeliveryWorkerOptions {
  db: Db;
  settings: DeliverySettings;
  email: EmailSender | undefined;
  webhook: WebhookSender;
  secretKey: Buffer | undefined;
  failures: FailureStore;
  logger: Logger;
  registry?: Registry | undefined;
  now?: () => Date;
}

export interface DeliveryWorker {
  /** Looks for due deliveries now rather than at the next poll. */
  wake(): void;
  /**
   * An operator's retry of a delivery that failed for good: sends it once more, now. Resolves
   * when it is sent (or cancelled: its webhook was deleted); throws the send's error, the
   * delivery staying `failed`, or `CONFLICT` when it is not failed.
   */
  retry(deliveryId: string): Promise<void>;
  /** Stops claiming; waits for the sends in progress and their bookkeeping. */
  stop(): Promise<void>;
}

/**
 * Sends the pending e-mail and webhook deliveries, each channel on its own: a failed one is
 * tried again after its backoff, up to `maxAttempts`, then becomes a failure (`failed`, and a
 * row in `processing_failures`); the other channels of the event are not touched.
 *
 * Each row is marked `sent` right after its send is accepted, so a crash can repeat a send only
 * between the receiver's acceptance and that update (at-least-once, a window of one round trip
 * to Postgres). A crash before the send leaves the row `sending` until its lease runs out; it is
 * then claimed again.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { db, settings, logger } = options;
  const now = options.now ?? (() => new Date());
  const outcomes = options.registry ? deliveryCounter(options.registry) : undefined;
  let stopped = false;
  let wakeUp: (() => void) | undefined;

  async function deliver(d: ClaimedDelivery): Promise<void> {
    try {
      const cancelled = await send(d);
      if (cancelled) {
        await markCancelled(db, d, cancelled, now());
        outcomes?.inc({ channel: d.channel, outcome: 'cancelled' });
        return;
      }
      await markSent(db, d, now());
      outcomes?.inc({ channel: d.channel, outcome: 'sent' });
    } catch (error) {
      await recordFailure(d, error instanceof Error ? error.message : String(error));
    }
  }

  /** Sends one delivery; a string when it cannot be sent any more (why). */
  async function send(d: ClaimedDelivery): Promise<string | undefined> {
    if (d.channel === 'email') {
      if (!options.email) return 'e-mail is off (SMTP_URL unset)';
      const { to, subject, text } = d.payload as { to: string; subject: string; text: string };
      await options.email.send({ deliveryId: d.id, eventId: d.eventId, to, subject, text });
      return undefined;
    }
    if (d.channel === 'webhook' && d.webhookId) {
      const hook = await findWebhook(db, d.webhookId);
      if (!hook || hook.deletedAt) return 'webhook deleted';
      const secret = openSecret(hook.secret, options.secretKey);
      await options.webhook.send({
        deliveryId: d.id,
        eventId: d.eventId,
        eventType: d.eventType,
        url: hook.url,
        secret,
        body: JSON.stringify(d.payload),
      });
      return undefined;
    }
    return `nothing to send on ${d.channel}`;
  }

  async function recordFailure(d: ClaimedDelivery, message: string): Promise<void> {
    const at = now();
    const final = d.attempt >= d.maxAttempts;
    const retryAt = final ? undefined : new Date(at.getTime() + backoffFor(settings.backoffMs, d.attempt));
    await markAttemptFailed(db, d, message, at, retryAt);
    outcomes?.inc({ channel: d.channel, outcome: final ? 'failed' : 'retry' });
    logger.warn(
      { deliveryId: d.id, eventId: d.eventId, channel: d.channel, attempt: d.attempt, final, error: message },
      'delivery failed',
    );
    if (!final) return;
    await options.failures.record({
      eventId: d.eventId,
      eventType: d.eventType,
      streamSequence: d.streamSequence,
      // One consumer name per channel and target, so two webhooks of one event are two failures.
      consumer: d.channel === 'webhook' ? `notification.webhook.${d.webhookId}` : `notification.${d.channel}`,
      tenantId: d.tenantId,
      payload: JSON.stringify({ deliveryId: d.id, channel: d.channel, target: d.target }),
      headers: {},
      errorCode: 'DELIVERY_FAILED',
      errorMessage: message,
      errorStack: null,
      attempts: [...d.attemptLog, { at: at.toISOString(), error: message }],
      traceId: null,
    });
  }

  async function runOnce(): Promise<number> {
    const claimed = await claimDeliveries(db, settings.concurrency, settings.leaseMs);
    await Promise.all(
      claimed.map((d) =>
        deliver(d).catch((error: unknown) =>
          logger.error({ err: error, deliveryId: d.id }, 'delivery bookkeeping failed'),
        ),
      ),
    );
    return claimed.length;
  }

  const loop = (async () => {
    while (!stopped) {
      let claimed = 0;
      try {
        claimed = await runOnce();
      } catch (error) {
        logger.error({ err: error }, 'claiming deliveries failed');
      }
      if (claimed > 0 || stopped) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        };
        const timer = setTimeout(done, settings.pollIntervalMs);
        wakeUp = done;
      });
    }
  })();

  async function retry(deliveryId: string): Promise<void> {
    const d = await claimFailedDelivery(db, deliveryId, settings.leaseMs);
    if (!d) throw new AppError('CONFLICT', `delivery ${deliveryId} is not failed (or is being retried)`);
    try {
      const cancelled = await send(d);
      if (cancelled) await markCancelled(db, d, cancelled, now());
      else await markSent(db, d, now());
      outcomes?.inc({ channel: d.channel, outcome: cancelled ? 'cancelled' : 'sent' });
    } catch (error) {
      await markAttemptFailed(db, d, error instanceof Error ? error.message : String(error), now(), undefined);
      outcomes?.inc({ channel: d.channel, outcome: 'failed' });
      throw error;
    }
  }

  return {
    wake: () => wakeUp?.(),
    retry,
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
    },
  };
}

function deliveryCounter(registry: Registry): Counter<'channel' | 'outcome'> {
  const existing = registry.getSingleMetric('chom_notification_deliveries_total');
  if (existing) return existing as Counter<'channel' | 'outcome'>;
  return new Counter({
    name: 'chom_notification_deliveries_total',
    help: 'E-mail and webhook send attempts by channel and outcome (sent, retry, failed, cancelled).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
}
