import type { Logger } from '@chom/telemetry';
import type { Db } from './db/queries.js';

/** What the handler and the endpoints need; built once in start, or by a test. */
export interface NotificationDeps {
  db: Db;
  logger: Logger;
  now: () => Date;
  /** Base URL of the control panel, for links in e-mails. */
  appUrl: string;
  maxAttempts: number;
  /** Undefined: e-mail is off, no e-mail deliveries are recorded. */
  email: { addressTemplate: string | undefined } | undefined;
  secretKey: Buffer | undefined;
  /** Tells the delivery worker that new deliveries are waiting. */
  wake: () => void;
}
