// The consumer runner's own cost per event, apart from any handler: publishes N site.created
// events (with trace headers, like the relay's) to a stream of its own, then lets one
// `startListener` with a batch handler that does nothing consume them, and prints the
// listener process's CPU time, socket writes and the wall time per event. Removes its stream at the end.
//
//   node bench/listener.mjs [--events 20000] [--batch-size 100] [--concurrency 1] [--runs 3] [--handler-ms 2] [--profile FILE]
// --handler-ms: each batch waits that long (a database round trip's stand-in, so batches fill).
// --profile writes a V8 CPU profile of the consuming runs only (not of the publishing).
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { eventSubject } from '@chom/contracts';
import { sampleEvent } from '@chom/contracts/testing';
import { connectNats, ensureConsumer, ensureStream, eventStreamSpec, startListener } from '@chom/messaging';
import { createLogger, createMetricsRegistry } from '@chom/telemetry';
import { ROOT } from '../deploy/local/stack.mjs';

const { values: opt } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    'batch-size': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    'handler-ms': { type: 'string', default: '2' },
    profile: { type: 'string' },
  },
});
const EVENTS = Number(opt.events);
const handlerMs = Number(opt['handler-ms']);
const say = (m) => process.stderr.write(`bench:listener | ${m}\n`);

const logger = createLogger({ service: 'bench-listener', level: 'warn' });
// Connected as the services are (`connectNats`: writes coalesced per event-loop turn).
const nc = await connectNats({ servers: process.env.NATS_URL ?? '127.0.0.1:4222', name: 'bench-listener' }, logger);
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const id = randomBytes(3).toString('hex');
const space = {
  stream: `BENCH_LISTENER_${id}`,
  events: `bench_listener_${id}.events`,
  services: `bench_listener_${id}.svc`,
};
const noFailures = {
  record: async () => {
    throw new Error('the benchmark handler never fails');
  },
};

/** This process's count of one /proc/self/io field (Linux); NaN elsewhere. */
function syscallsOf(field) {
  try {
    const line = readFileSync('/proc/self/io', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return Number(line?.split(':')[1]);
  } catch {
    return NaN;
  }
}

async function publish(count) {
  const tenantId = `t_${randomUUID().slice(0, 8)}`;
  for (let start = 0; start < count; start += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, count - start) }, () => {
        const event = sampleEvent({ tenantId, domain: `${randomUUID().slice(0, 8)}.example.com` });
        const hdrs = natsHeaders();
        hdrs.set('traceparent', `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`);
        return js.publish(eventSubject(space, tenantId, event.type), JSON.stringify(event), {
          msgID: event.id,
          headers: hdrs,
        });
      }),
    );
  }
}

async function run(index) {
  const spec = {
    name: `bench-${index}`,
    filterSubject: `${space.events}.>`,
    maxDeliver: 3,
    backoffMs: [1_000],
    ackWaitMs: 30_000,
    // As the services' listeners default it (libs/config: listenerSettings).
    maxAckPending: Math.max(64, Number(opt.concurrency) * 16, Number(opt['batch-size']) * 4),
    concurrency: Number(opt.concurrency),
    batchSize: Number(opt['batch-size']),
  };
  await ensureConsumer(jsm, space.stream, spec, logger);
  let handled = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const cpu = process.cpuUsage();
  const writesBefore = syscallsOf('syscw');
  const started = performance.now();
  const listener = await startListener({
    js,
    stream: space.stream,
    spec,
    handleBatch: async (items) => {
      if (handlerMs > 0) await sleep(handlerMs);
      handled += items.length;
      if (handled >= EVENTS) done();
    },
    failures: noFailures,
    logger,
    registry: createMetricsRegistry('bench', { defaultMetrics: false }),
  });
  await finished;
  // Every ack is out: the consumer has none pending.
  for (;;) {
    const info = await jsm.consumers.info(space.stream, spec.name);
    if (info.num_ack_pending === 0 && info.num_pending === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await listener.drain();
  await jsm.consumers.delete(space.stream, spec.name);
  const writes = syscallsOf('syscw') - writesBefore;
  return {
    writesPerEvent: writes / EVENTS,
    cpuUsPerEvent: (used.user + used.system) / EVENTS,
    wallMs,
    eventsPerSecond: EVENTS / (wallMs / 1000),
  };
}

try {
  await ensureStream(jsm, eventStreamSpec(space), logger);
  say(`publishing ${EVENTS} events`);
  await publish(EVENTS);
  const runs = [];
  const session = opt.profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  for (let i = 0; i < Number(opt.runs); i++) {
    const r = await run(i);
    say(
      `run ${i + 1}: ${r.cpuUsPerEvent.toFixed(1)} µs CPU per event, ${r.writesPerEvent.toFixed(2)} socket writes per event, ${Math.round(r.eventsPerSecond)} events/s`,
    );
    runs.push(r);
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(opt.profile, JSON.stringify(profile));
  }
  const best = runs.reduce((a, b) => (b.cpuUsPerEvent < a.cpuUsPerEvent ? b : a));
  console.log(
    `listener runner (batch ${opt['batch-size']}, concurrency ${opt.concurrency}): best of ${runs.length}: ` +
      `${best.cpuUsPerEvent.toFixed(1)} µs CPU per event, ${Math.round(best.eventsPerSecond)} events/s`,
  );
  const dir = join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'listener-latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), options: opt, runs }, null, 2)}\n`,
  );
} finally {
  await jsm.streams.delete(space.stream).catch(() => undefined);
  await nc.close();
}
