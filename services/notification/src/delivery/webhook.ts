import { signPayload } from '../secrets.js';
import { DeliveryError, type WebhookSender } from './senders.js';

/**
 * POSTs the event with `X-Chom-Timestamp` (Unix seconds) and `X-Chom-Signature`
 * (`sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`). Only a 2xx answer counts;
 * redirects are not followed (a redirect could carry the signed body elsewhere).
 */
export function httpWebhookSender(timeoutMs: number, now: () => Date = () => new Date()): WebhookSender {
  return {
    async send(message) {
      const timestamp = String(Math.floor(now().getTime() / 1000));
      let response: Response;
      try {
        response = await fetch(message.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'chom-webhooks/1',
            'x-chom-event-id': message.eventId,
            'x-chom-event-type': message.eventType,
            'x-chom-delivery-id': message.deliveryId,
            'x-chom-timestamp': timestamp,
            'x-chom-signature': signPayload(message.secret, timestamp, message.body),
          },
          body: message.body,
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        throw new DeliveryError(`request failed: ${reason}`);
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) {
        throw new DeliveryError(`endpoint answered HTTP ${response.status}`);
      }
    },
  };
}
