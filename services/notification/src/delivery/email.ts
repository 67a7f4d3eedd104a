import { createTransport } from 'nodemailer';
import type { EmailSettings } from '../config.js';
import type { EmailSender } from './senders.js';

/**
 * E-mail over SMTP with nodemailer. The Message-ID is derived from the delivery, so a
 * receiving server that sees the same message twice (the at-least-once window) can tell.
 */
export function smtpEmailSender(settings: EmailSettings, timeoutMs: number): EmailSender {
  const transport = createTransport({
    url: settings.smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(message) {
      await transport.sendMail({
        from: settings.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: `<${message.deliveryId}@chom.notification>`,
        headers: { 'X-Chom-Event-Id': message.eventId },
      });
    },
    close: () => transport.close(),
  };
}

const ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/**
 * The recipient's address: the template with `{userId}` and `{tenantId}` filled in, or the user
 * id itself when it is an address. `undefined`: no e-mail (no user, or no address for them).
 * A stand-in for a user directory, which this system does not have.
 */
export function emailAddress(
  template: string | undefined,
  recipient: { tenantId: string; userId: string | null },
): string | undefined {
  if (!recipient.userId) return undefined;
  const { userId, tenantId } = recipient;
  const address = template ? template.replaceAll('{userId}', userId).replaceAll('{tenantId}', tenantId) : userId;
  return ADDRESS.test(address) ? address : undefined;
}
