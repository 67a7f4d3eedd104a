import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  messageId: string;
  eventId: string;
  raw: string;
}

export interface SmtpReceiver {
  url: string;
  mails: ReceivedMail[];
  /** Recipients refused with 550 (an "e-mail down" for them). */
  refuse: Set<string>;
  /** Once `n` mails are accepted, leaves the next ones waiting for their answer. */
  holdAfter(n: number): void;
  /** How many wait for an answer. */
  held(): number;
  /** Answers the waiting ones with a temporary failure (they count as not received) and stops holding. */
  release(): void;
  close(): Promise<void>;
}

const header = (raw: string, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? '';

/** A real SMTP server (the `smtp-server` package) on a free local port, keeping what it accepts. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const refuse = new Set<string>();
  let holdFrom = Infinity;
  const waiting: ((error?: Error) => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) {
        const error = new Error('mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (mails.length >= holdFrom) return void waiting.push(callback);
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header(raw, 'Subject'),
          messageId: header(raw, 'Message-ID'),
          eventId: header(raw, 'X-Chom-Event-Id'),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse,
    holdAfter: (n) => (holdFrom = n),
    held: () => waiting.length,
    release() {
      holdFrom = Infinity;
      for (const answer of waiting.splice(0)) answer(Object.assign(new Error('try later'), { responseCode: 451 }));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status it was answered with; undefined while held. */
  status?: number;
}

export interface HttpReceiver {
  url(path: string): string;
  requests: ReceivedRequest[];
  on(path: string): ReceivedRequest[];
  /** Requests answered 2xx: the deliveries that happened. */
  delivered(path: string): ReceivedRequest[];
  /** Once `n` requests are answered 2xx, leaves the next ones unanswered until `release`. */
  holdAfter(n: number): void;
  held(): number;
  /** Answers the held requests 503 and stops holding. */
  release(): void;
  close(): Promise<void>;
}

/** A real HTTP server: `/fail...` answers 500, anything else 204. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let holdFrom = Infinity;
  const waiting: { request: ReceivedRequest; res: ServerResponse }[] = [];
  const ok = (r: ReceivedRequest) => r.status !== undefined && r.status < 300;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const request: ReceivedRequest = {
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      if (requests.filter(ok).length >= holdFrom) return void waiting.push({ request, res });
      request.status = path.startsWith('/fail') ? 500 : 204;
      res.statusCode = request.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    on: (path) => requests.filter((r) => r.path === path),
    delivered: (path) => requests.filter((r) => r.path === path && ok(r)),
    holdAfter: (n) => (holdFrom = n),
    held: () => waiting.length,
    release() {
      holdFrom = Infinity;
      for (const { request, res } of waiting.splice(0)) {
        request.status = 503;
        res.statusCode = 503;
        res.end();
      }
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
