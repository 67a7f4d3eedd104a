import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.js';

/** A logger whose lines are kept in memory, parsed, for tests to assert on. */
export function captureLogger(service = 'test'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ service, level: 'debug', destination }), lines };
}
