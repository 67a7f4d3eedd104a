#!/usr/bin/env node
import { AppError } from '@chom/contracts';
import { loadCliConfig } from './config.js';
import { consoleOutput } from './format.js';
import { runCli } from './run.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());

try {
  process.exitCode = await runCli(process.argv.slice(2), loadCliConfig(), consoleOutput(false), controller.signal);
} catch (error) {
  const message =
    error instanceof AppError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`chom: ${message}\n`);
  process.exitCode = error instanceof AppError && error.code === 'BAD_REQUEST' ? 2 : 1;
}
