// `node --import @chom/telemetry/register <main>`: starts tracing before the service's own
// modules load, when an OTLP endpoint is configured; otherwise loads nothing more.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadTracingSettings } from './config.js';

/** name (without scope) and version of the package whose entry script this process runs. */
function entryPackage(script: string | undefined): { name: string; version?: string } {
  for (let dir = script ? dirname(script) : process.cwd(); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name)
        return { name: pkg.name.replace(/^@[^/]+\//, ''), ...(pkg.version ? { version: pkg.version } : {}) };
    } catch {
      // no package.json here: look further up
    }
    if (dirname(dir) === dir) return { name: 'unknown_service:node' };
  }
}

const settings = loadTracingSettings();
if (settings.enabled) {
  const { startTracing } = await import('./tracing.js');
  startTracing(settings, entryPackage(process.argv[1]));
}
