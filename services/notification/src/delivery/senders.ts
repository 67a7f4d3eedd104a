/** One message on one channel; throws `DeliveryError` (or anything) when it was not accepted. */
export interface EmailMessage {
  deliveryId: string;
  eventId: string;
  to: string;
  subject: string;
  text: string;
}

export interface WebhookMessage {
  deliveryId: string;
  eventId: string;
  eventType: string;
  url: string;
  secret: string;
  /** The event, as it is sent. */
  body: string;
}

export interface EmailSender {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

export interface WebhookSender {
  send(message: WebhookMessage): Promise<void>;
}

/** A send that was refused or did not complete; `message` is safe to store (no secrets). */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}
