// Runs the whole system on this machine as plain processes: the same services the
// containers run, with prefixed, readable logs. Used by `npm start` and the end-to-end tests.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every long-running process of the system, in start order (the gateway last). */
export const SERVICES = [
  { name: 'site', database: 'site', opsPort: 9101 },
  { name: 'audit', database: 'audit', opsPort: 9102 },
  { name: 'backup', database: 'backup', opsPort: 9103 },
  { name: 'notification', database: 'notification', opsPort: 9104 },
  { name: 'metrics', database: 'metrics', opsPort: 9105 },
  { name: 'gateway', database: null, opsPort: null, httpPort: 8080 },
];

/** The services a request waits for; `listenerNice` leaves them alone. */
export const FRONT_DOOR = ['gateway', 'site'];

/** See `listenerNice` in {@link stackConfig}; the README's Performance section has the measurements. */
export const DEFAULT_LISTENER_NICE = 10;

/** A niceness from the environment or an option: an integer 0..19 (a process may lower its own priority). */
export function niceness(value) {
  const n = typeof value === 'number' ? value : String(value).trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new Error(`LISTENER_NICE must be an integer from 0 to 19, not "${value}"`);
  return n;
}

/**
 * Spawns one service process; a listener service at `config.listenerNice` through nice(1), so
 * every thread of it starts at that niceness (Linux niceness is per thread).
 */
function spawnService(config, name, args, env) {
  const options = { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] };
  if (!config.listenerNice || FRONT_DOOR.includes(name) || process.platform === 'win32')
    return spawn(process.execPath, args, options);
  return spawn('nice', ['-n', String(config.listenerNice), process.execPath, ...args], options);
}

const COLORS = { site: 36, audit: 35, backup: 34, notification: 91, metrics: 94, gateway: 32, stack: 33 };
const LEVEL_COLORS = { trace: 90, debug: 90, info: 0, warn: 33, error: 31, fatal: 41 };
const QUIET_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** Prints one child's output line by line behind its name; pino JSON is rendered readable. */
function pipeLines(stream, name, { json, out = process.stdout }) {
  const prefix = `\x1b[${COLORS[name] ?? 0}m${name.padEnd(8)}\x1b[0m|`;
  createInterface({ input: stream }).on('line', (line) => {
    if (json) return void out.write(`${prefix} ${line}\n`);
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return void out.write(`${prefix} ${line}\n`);
    }
    const extras = Object.entries(entry)
      .filter(([k]) => !QUIET_FIELDS.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
    const level = `\x1b[${LEVEL_COLORS[entry.level] ?? 0}m${String(entry.level ?? '').padEnd(5)}\x1b[0m`;
    out.write(`${prefix} ${time} ${level} ${entry.msg ?? ''}${extras ? `  \x1b[90m${extras}\x1b[0m` : ''}\n`);
  });
}

export function log(message) {
  process.stdout.write(`\x1b[${COLORS.stack}mstack   \x1b[0m| ${message}\n`);
}

function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((done) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

/** Why the listeners cannot be started at `listenerNice` (nice(1) missing from `env.PATH`), or undefined. */
export function niceProblem(listenerNice, env = process.env) {
  if (listenerNice === 0 || process.platform === 'win32' || !spawnSync('nice', ['true'], { env }).error)
    return undefined;
  return `nice(1) is not on PATH, and the listener services are started through it (LISTENER_NICE=${listenerNice}). Install coreutils, or set LISTENER_NICE=0.`;
}

/** Fails with the command that starts a missing dependency (or what is missing to start the listeners). */
export async function checkDependencies({ natsUrl, postgresUrl, listenerNice = 0 }) {
  const nats = new URL(natsUrl.split(',')[0].replace(/^nats:/, 'http:'));
  const pg = new URL(postgresUrl.replace(/^postgres(ql)?:/, 'http:'));
  const missing = [];
  if (!(await canConnect(nats.hostname, Number(nats.port || 4222)))) {
    missing.push(
      `NATS is not reachable at ${natsUrl}. Start it with:\n  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log`,
    );
  }
  if (!(await canConnect(pg.hostname, Number(pg.port || 5432)))) {
    missing.push(
      `PostgreSQL is not reachable at ${pg.host}. Start it with:\n  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
  }
  const nice = niceProblem(listenerNice);
  if (nice) missing.push(nice);
  if (missing.length > 0) throw new Error(missing.join('\n'));
}

/** The development JWT secret, made once and kept in `.local/` (ignored by git). */
export async function devSecretFile() {
  const file = join(ROOT, '.local', 'jwt-secret');
  if (!existsSync(file)) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return file;
}

function run(command, args, { env, name, json }) {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeLines(child.stdout, name, { json });
    pipeLines(child.stderr, name, { json });
    child.once('error', rejectRun);
    child.once('exit', (code) =>
      code === 0 ? resolveRun() : rejectRun(new Error(`${name}: ${args.join(' ')} exited with ${code}`)),
    );
  });
}

function capture(command, args, env) {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('error', rejectRun);
    child.once('exit', (code) =>
      code === 0 ? resolveRun(out.trim()) : rejectRun(new Error(`${args[0]} exited ${code}`)),
    );
  });
}

async function waitReady(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/**
 * Describes one stack: where it connects and which ports and names it uses, so that several
 * stacks (a developer's and a test's) never meet.
 */
export function stackConfig(overrides = {}) {
  const env = overrides.env ?? process.env;
  const postgresUrl = overrides.postgresUrl ?? env.POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432';
  return {
    natsUrl: overrides.natsUrl ?? env.NATS_URL ?? 'nats://127.0.0.1:4222',
    postgresUrl,
    databasePrefix: overrides.databasePrefix ?? env.DATABASE_PREFIX ?? 'chom_',
    httpPort: overrides.httpPort ?? Number(env.PORT ?? 8080),
    opsPorts: overrides.opsPorts ?? { site: 9101, audit: 9102, backup: 9103, notification: 9104, metrics: 9105 },
    space: overrides.space ?? {
      stream: env.EVENTS_STREAM ?? 'EVENTS',
      events: env.EVENTS_SUBJECT_ROOT ?? 'events',
      services: env.SERVICES_SUBJECT_ROOT ?? 'svc',
    },
    idempotencyBucket: overrides.idempotencyBucket ?? env.IDEMPOTENCY_BUCKET ?? 'idempotency',
    json: overrides.json ?? env.LOG_FORMAT === 'json',
    quiet: overrides.quiet ?? false,
    extraEnv: overrides.extraEnv ?? {},
    /** Extra node flags for every service process (the bench's CPU profiler). */
    nodeArgs: overrides.nodeArgs ?? [],
    /**
     * Niceness of the listener-only services (audit, backup, notification, metrics): when the
     * cores are short, the gateway and the site service (what a request waits for) get them
     * first, and the side effects catch up in larger batches. 0 leaves all equal.
     */
    listenerNice: niceness(overrides.listenerNice ?? env.LISTENER_NICE ?? DEFAULT_LISTENER_NICE),
    baseEnv: env,
  };
}

/** The node arguments one service runs with: tracing starts before its own modules (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT). */
function nodeArgsOf(config, name) {
  return [
    '--enable-source-maps',
    ...config.nodeArgs,
    '--import',
    '@chom/telemetry/register',
    `services/${name}/dist/main.js`,
  ];
}

/** The environment one service is started with. */
export function serviceEnv(config, name, secretFile) {
  const service = SERVICES.find((s) => s.name === name);
  const env = {
    ...config.baseEnv,
    NATS_URL: config.natsUrl,
    EVENTS_STREAM: config.space.stream,
    EVENTS_SUBJECT_ROOT: config.space.events,
    SERVICES_SUBJECT_ROOT: config.space.services,
    LOG_LEVEL: config.baseEnv.LOG_LEVEL ?? 'info',
    OTEL_SERVICE_NAME: name,
    ...config.extraEnv.all,
    ...config.extraEnv[name],
  };
  if (service.database) env.DATABASE_URL = `${config.postgresUrl}/${config.databasePrefix}${service.database}`;
  if (service.opsPort) {
    env.OPS_PORT = String(config.opsPorts[name]);
    env.OPS_HOST = config.baseEnv.OPS_HOST ?? '127.0.0.1';
  }
  // Archives of the local stack stay in the repository's `.local/` (ignored by git).
  if (name === 'backup') env.BACKUP_STORAGE_DIR ??= join(ROOT, '.local', 'backups');
  if (name === 'gateway') {
    env.PORT = String(config.httpPort);
    env.JWT_SECRET_FILE = secretFile;
    env.IDEMPOTENCY_BUCKET = config.idempotencyBucket;
  }
  return env;
}

/**
 * Migrates every database, starts every service and waits until each is ready. Returns
 * handles to stop, kill and restart single services and to stop the whole stack.
 */
export async function startStack(config, { readyTimeoutMs = 60_000 } = {}) {
  await checkDependencies(config);
  const secretFile = await devSecretFile();
  const out = config.quiet ? { write: () => true } : process.stdout;
  const children = new Map();

  for (const service of SERVICES.filter((s) => s.database)) {
    await run(process.execPath, [`services/${service.name}/dist/bin/migrate.js`], {
      env: serviceEnv(config, service.name, secretFile),
      name: service.name,
      json: config.json,
    });
  }

  const readyUrl = (name) =>
    name === 'gateway'
      ? `http://127.0.0.1:${config.httpPort}/readyz`
      : `http://127.0.0.1:${config.opsPorts[name]}/readyz`;

  async function startService(name) {
    const args = nodeArgsOf(config, name);
    const child = spawnService(config, name, args, serviceEnv(config, name, secretFile));
    pipeLines(child.stdout, name, { json: config.json, out });
    pipeLines(child.stderr, name, { json: config.json, out });
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    children.set(name, { child, exited });
    await waitReady(readyUrl(name), child, readyTimeoutMs);
    return child;
  }

  async function stopService(name, signal = 'SIGTERM', timeoutMs = 20_000) {
    const entry = children.get(name);
    if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null)
      return entry ? entry.exited : undefined;
    entry.child.kill(signal);
    const timer = setTimeout(() => entry.child.kill('SIGKILL'), timeoutMs);
    const result = await entry.exited;
    clearTimeout(timer);
    return result;
  }

  try {
    for (const service of SERVICES) await startService(service.name);
  } catch (error) {
    await Promise.all([...children.keys()].map((name) => stopService(name)));
    throw error;
  }

  return {
    config,
    secretFile,
    gatewayUrl: `http://127.0.0.1:${config.httpPort}`,
    children,
    startService,
    stopService,
    /** SIGKILL: no shutdown handler runs, as when a node dies. */
    kill: (name) => stopService(name, 'SIGKILL'),
    async token({ tenant, user = 'u_dev', role = 'owner', ttlSeconds = 86_400 }) {
      return capture(
        process.execPath,
        [
          'services/gateway/dist/bin/token.js',
          ...['--tenant', tenant, '--user', user, '--role', role, '--ttl', String(ttlSeconds)],
        ],
        serviceEnv(config, 'gateway', secretFile),
      );
    },
    /** Stops the gateway first (no new work), then the services. */
    async stop() {
      const results = {};
      for (const service of [...SERVICES].reverse()) results[service.name] = await stopService(service.name);
      return results;
    },
  };
}

export async function readSecret(file) {
  return (await readFile(file, 'utf8')).trim();
}

/** The services that consume events: the ones with an ops port (all but the gateway). */
export const LISTENER_SERVICES = SERVICES.filter((s) => s.opsPort).map((s) => s.name);

/**
 * Starts `count` replicas of one listener service as separate processes that share its
 * durable consumer(s): JetStream hands each event to one of them, as pods under KEDA.
 * Replica i (1-based) listens on `opsPorts[i - 1]`, by default the service's ops port + 100 * i
 * (audit: 9202, 9302, ...), so the replicas also run beside `npm start`.
 */
export async function startReplicas(config, name, count, { opsPorts, readyTimeoutMs = 60_000 } = {}) {
  if (!LISTENER_SERVICES.includes(name))
    throw new Error(`"${name}" is not a listener service (one of ${LISTENER_SERVICES.join(', ')})`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`replica count must be a positive integer, not ${count}`);
  await checkDependencies(config);
  const out = config.quiet ? { write: () => true } : process.stdout;
  await run(process.execPath, [`services/${name}/dist/bin/migrate.js`], {
    env: serviceEnv(config, name, ''),
    name,
    json: config.json,
  });
  const ports = opsPorts ?? Array.from({ length: count }, (_, i) => config.opsPorts[name] + 100 * (i + 1));
  const replicas = ports.slice(0, count).map((port, i) => {
    const args = nodeArgsOf(config, name);
    const child = spawnService(config, name, args, { ...serviceEnv(config, name, ''), OPS_PORT: String(port) });
    pipeLines(child.stdout, `${name}#${i + 1}`, { json: config.json, out });
    pipeLines(child.stderr, `${name}#${i + 1}`, { json: config.json, out });
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    return { index: i + 1, port, child, exited, metricsUrl: `http://127.0.0.1:${port}/metrics` };
  });

  async function stopReplica(replica, signal = 'SIGTERM', timeoutMs = 20_000) {
    if (replica.child.exitCode !== null || replica.child.signalCode !== null) return replica.exited;
    replica.child.kill(signal);
    const timer = setTimeout(() => replica.child.kill('SIGKILL'), timeoutMs);
    const result = await replica.exited;
    clearTimeout(timer);
    return result;
  }
  const stop = () => Promise.all(replicas.map((r) => stopReplica(r)));

  try {
    await Promise.all(replicas.map((r) => waitReady(`http://127.0.0.1:${r.port}/readyz`, r.child, readyTimeoutMs)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { replicas, stop, stopReplica };
}
