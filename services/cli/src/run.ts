import { parseArgs } from 'node:util';
import { AppError, FailureStatus, PROJECTION_ALIASES, PROJECTIONS } from '@chom/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { CliConfig } from './config.js';
import { consumerStates } from '@chom/messaging';
import { consumersCommand } from './commands/consumers.js';
import { overviewCommand, recentCommand, showCommand, tailCommand } from './commands/events.js';
import {
  listFailures,
  openFailures,
  pruneFailures,
  resolveFailure,
  retryFailure,
  retryMatching,
  showFailure,
} from './commands/failures.js';
import { replayCommand } from './commands/replay.js';
import { signToken } from './commands/token.js';
import { emit, type Output } from './format.js';

const PROJECTION_NAMES = [
  ...Object.keys(PROJECTIONS),
  ...Object.entries(PROJECTION_ALIASES).map(([alias, name]) => `${alias} (= ${name})`),
].join(', ');

export const USAGE = `chom <command> [options] [--json]

  failures list [--service S] [--consumer C] [--type T] [--tenant T] [--status failed|retried|resolved]
                [--from ISO] [--to ISO] [--limit N]
  failures show <id>
  failures retry <id> | failures retry --all [filters] [--dry-run] [--limit N]
  failures resolve <id> --note "why"
  failures prune --before ISO [--service S]
  consumers [--max N] [--sample-ms MS]   exit 1 when a consumer has more than N events not yet handled;
                                         the rate is measured over MS (default 1000, 0: no rate)
  events overview | show <id|seq> | tail [--tenant T] [--type T]
  events recent [--tenant T] [--type T] [--since ISO] [--before-seq N] [--limit N]
  replay <projection> [--from-seq N | --since ISO] [--dry-run] [--show-status]
      projections: ${PROJECTION_NAMES}
  token --tenant T [--user U] [--role R] [--ttl SECONDS]   (needs JWT_SECRET)

Environment: NATS_URL, NATS_USER, NATS_PASSWORD, EVENTS_STREAM, EVENTS_SUBJECT_ROOT, SERVICES_SUBJECT_ROOT.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  service: { type: 'string' },
  consumer: { type: 'string' },
  type: { type: 'string' },
  tenant: { type: 'string' },
  status: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  note: { type: 'string' },
  before: { type: 'string' },
  'from-seq': { type: 'string' },
  since: { type: 'string' },
  max: { type: 'string' },
  'sample-ms': { type: 'string' },
  'before-seq': { type: 'string' },
  'show-status': { type: 'boolean' },
  user: { type: 'string' },
  role: { type: 'string' },
  ttl: { type: 'string' },
} as const;

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AppError('BAD_REQUEST', `--${name} must be a non-negative integer`);
  return n;
}

/** Runs one CLI invocation; returns the exit code. */
export async function runCli(argv: string[], config: CliConfig, out: Output, signal?: AbortSignal): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  out.json = v.json ?? false;
  const [command, sub, arg] = positionals;
  if (v.help || !command) {
    out.write(USAGE);
    return command || v.help ? 0 : 2;
  }
  if (command === 'token') {
    if (!config.jwtSecret) throw new AppError('BAD_REQUEST', 'JWT_SECRET is not set');
    if (!v.tenant) throw new AppError('BAD_REQUEST', '--tenant is required');
    const token = await signToken({
      secret: config.jwtSecret,
      tenantId: v.tenant,
      userId: v.user ?? 'operator',
      role: v.role ?? 'owner',
      ttlSeconds: int(v.ttl, 3600, 'ttl'),
    });
    emit(out, { token }, (t) => t.token);
    return 0;
  }
  const nc = await connect({ ...config.nats, name: 'chom-cli' });
  try {
    const jsm = await jetstreamManager(nc);
    const events = { jsm, space: config.space };
    const failures = { nc, space: config.space, out };
    const filter = {
      ...(v.service ? { service: v.service } : {}),
      ...(v.consumer ? { consumer: v.consumer } : {}),
      ...(v.type ? { eventType: v.type } : {}),
      ...(v.tenant ? { tenantId: v.tenant } : {}),
      ...(v.status ? { status: FailureStatus.parse(v.status) } : {}),
      ...(v.from ? { from: v.from } : {}),
      ...(v.to ? { to: v.to } : {}),
    };
    switch (`${command} ${sub ?? ''}`.trim()) {
      case 'consumers':
        return await consumersCommand(jsm, config.space.stream, out, {
          max: v.max === undefined ? undefined : int(v.max, 0, 'max'),
          sampleMs: int(v['sample-ms'], 1000, 'sample-ms'),
          ...(signal ? { signal } : {}),
        });
      case 'events overview': {
        const [consumers, openFailureCounts] = await Promise.all([
          consumerStates(jsm, config.space.stream, { sampleMs: 0 }),
          openFailures({ ...failures, timeoutMs: 2_000 }),
        ]);
        await overviewCommand(events, out, {
          openFailures: openFailureCounts,
          consumers: consumers.map(({ name, behind }) => ({ name, behind })),
        });
        return 0;
      }
      case 'events recent':
        await recentCommand(events, out, {
          limit: int(v.limit, 20, 'limit'),
          ...(v.tenant ? { tenant: v.tenant } : {}),
          ...(v.type ? { type: v.type } : {}),
          ...(v.since ? { since: time(v.since, 'since') } : {}),
          ...(v['before-seq'] ? { beforeSeq: int(v['before-seq'], 0, 'before-seq') } : {}),
        });
        return 0;
      case 'events show':
        await showCommand(events, out, required(arg, 'event id or sequence'));
        return 0;
      case 'events tail':
        await tailCommand(events, out, {
          signal: signal ?? new AbortController().signal,
          ...(v.tenant ? { tenant: v.tenant } : {}),
          ...(v.type ? { type: v.type } : {}),
        });
        return 0;
      case 'failures list':
        await listFailures(failures, filter, int(v.limit, 50, 'limit'));
        return 0;
      case 'failures show':
        await showFailure(failures, required(arg, 'failure id'));
        return 0;
      case 'failures retry': {
        if (v.all) {
          await retryMatching(failures, filter, { dryRun: v['dry-run'] ?? false, limit: int(v.limit, 100, 'limit') });
          return 0;
        }
        const result = await retryFailure(failures, required(arg, 'failure id (or --all with filters)'));
        return result.outcome === 'resolved' ? 0 : 1;
      }
      case 'failures resolve':
        await resolveFailure(failures, required(arg, 'failure id'), required(v.note, '--note'));
        return 0;
      case `replay ${sub ?? ''}`: {
        const from = v['from-seq']
          ? ({ kind: 'seq', seq: int(v['from-seq'], 1, 'from-seq') } as const)
          : v.since
            ? ({ kind: 'time', time: v.since } as const)
            : ({ kind: 'start' } as const);
        const status = await replayCommand(
          { nc, space: config.space, out, progress: (line) => process.stderr.write(line) },
          required(sub, 'projection'),
          { from, dryRun: v['dry-run'] ?? false, statusOnly: v['show-status'] ?? false },
        );
        return status.rebuild?.state === 'failed' ? 1 : 0;
      }
      case 'failures prune':
        await pruneFailures(failures, required(v.before, '--before'), v.service);
        return 0;
      default:
        out.write(USAGE);
        return 2;
    }
  } finally {
    await nc.close();
  }
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new AppError('BAD_REQUEST', `${what} is required`);
  return value;
}

function time(value: string, name: string): Date {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new AppError('BAD_REQUEST', `--${name} must be an ISO 8601 time`);
  return at;
}
