// `npm run bench:tracing`: what the span instrumentation costs per span, with tracing off (no
// OTEL endpoint: the API's no-op tracer) and on (the SDK exporting OTLP/HTTP to a local sink),
// against the same work without a span. Prints a table and writes bench/results/tracing-<date>.json.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ITERATIONS = Number(process.env.ITERATIONS ?? 200_000);
// Spans one site lifecycle makes (deploy/local/test/tracing.e2e.test.ts: HTTP, request client and
// server, transactions, two publishes, eleven consumer spans and their transactions).
const SPANS_PER_LIFECYCLE = 25;

/** Runs in a child: times `iterations` awaited calls of plain work, then of the same work in a span. */
async function measure() {
  const { withSpan, runWithContext } = await import('@chom/telemetry');
  const work = async () => 1;
  const time = async (fn) => {
    for (let i = 0; i < 10_000; i += 1) await fn(); // warm up
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i += 1) await fn();
    return Number(process.hrtime.bigint() - start) / ITERATIONS;
  };
  const plain = await time(() => runWithContext({ tenantId: 't_bench' }, work));
  const span = await time(() => withSpan('bench', { attributes: { 'chom.tenant_id': 't_bench' } }, work));
  process.stdout.write(JSON.stringify({ plainNs: plain, spanNs: span }));
  const { shutdownTracing } = await import('@chom/telemetry');
  await shutdownTracing();
}

function child(env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        ...(env.OTEL_EXPORTER_OTLP_ENDPOINT ? ['--import', '@chom/telemetry/register'] : []),
        fileURLToPath(import.meta.url),
        '--child',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
  });
}

if (process.argv.includes('--child')) {
  await measure();
} else {
  // A sink that accepts OTLP exports and discards them, as a collector on the same host would.
  let exports = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${sink.address().port}`;
  const off = await child({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: 'bench' });
  const on = await child({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_SERVICE_NAME: 'bench',
  });
  sink.close();

  const perLifecycleUs = (r) => ((r.spanNs - r.plainNs) * SPANS_PER_LIFECYCLE) / 1000;
  const rows = [
    ['tracing off (no endpoint)', off],
    ['tracing on (OTLP/HTTP protobuf, batch)', on],
  ].map(([mode, r]) => ({
    mode,
    plainNs: Math.round(r.plainNs),
    spanNs: Math.round(r.spanNs),
    overheadPerSpanNs: Math.round(r.spanNs - r.plainNs),
    overheadPerLifecycleUs: Number(perLifecycleUs(r).toFixed(1)),
  }));
  console.log(`span overhead, ${ITERATIONS} awaited calls each, ${cpus().length} cores, node ${process.version}`);
  console.table(rows);
  console.log(`OTLP export requests received by the sink: ${exports} (tracing on only)`);
  const result = {
    date: new Date().toISOString(),
    iterations: ITERATIONS,
    spansPerLifecycle: SPANS_PER_LIFECYCLE,
    rows,
    exports,
  };
  const dir = join(ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `tracing-${result.date.replace(/[:.]/g, '-')}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}
