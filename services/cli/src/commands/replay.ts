import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppError,
  findProjection,
  projectionOps,
  PROJECTIONS,
  type ProjectionStatus,
  type ReplayStart,
  type SubjectSpace,
} from '@chom/contracts';
import { requestOperation } from '@chom/messaging';
import type { NatsConnection } from '@nats-io/nats-core';
import { emit, type Output } from '../format.js';

export interface ReplayDeps {
  nc: NatsConnection;
  space: Pick<SubjectSpace, 'services'>;
  out: Output;
  /** Where the progress bar goes (stderr), so `--json` output stays one document. */
  progress?: (line: string) => void;
  pollMs?: number;
}

function owner(name: string): { service: string; name: string } {
  const found = findProjection(name);
  if (!found) {
    throw new AppError('BAD_REQUEST', `unknown projection "${name}" (known: ${Object.keys(PROJECTIONS).join(', ')})`);
  }
  return { service: found.service, name: found.projection };
}

export function bar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(ratio * 100)}% ${done}/${total}`;
}

/** `chom replay <projection>`: starts a rebuild (or a dry run) and follows it to the end. */
export async function replayCommand(
  deps: ReplayDeps,
  projection: string,
  options: { from: ReplayStart; dryRun: boolean; statusOnly: boolean },
): Promise<ProjectionStatus> {
  const { service, name } = owner(projection);
  const ops = projectionOps(service);
  const call = (op: typeof ops.status | typeof ops.rebuild, body: unknown) =>
    requestOperation(deps.nc, deps.space, op, body as never, { timeoutMs: 30_000 }) as Promise<ProjectionStatus>;
  let status = options.statusOnly
    ? await call(ops.status, { projection: name })
    : await call(ops.rebuild, { projection: name, from: options.from, dryRun: options.dryRun });
  while (!options.statusOnly && status.rebuild?.state === 'running') {
    deps.progress?.(`\r${bar(status.rebuild.processed, status.rebuild.total)}`);
    await sleep(deps.pollMs ?? 500);
    status = await call(ops.status, { projection: name });
  }
  if (!options.statusOnly && status.rebuild)
    deps.progress?.(`\r${bar(status.rebuild.processed, status.rebuild.total)}\n`);
  emit(deps.out, status, (s) => {
    const r = s.rebuild;
    const live = s.live
      ? `live consumer ${s.live.consumer}: ${s.live.pending} behind, at ${s.live.ackFloor}`
      : 'live: -';
    if (!r) return `${s.projection}: never rebuilt; ${live}`;
    return [
      `${s.projection}: ${r.dryRun ? 'dry run' : 'rebuild'} ${r.state} (from ${JSON.stringify(r.from)})`,
      `events ${r.dryRun ? `to replay ${r.total}` : `${r.processed}/${r.total}`}, position ${r.position}/${r.target}`,
      `started ${r.startedAt}, finished ${r.finishedAt ?? '-'}${r.error ? `, error ${r.error}` : ''}`,
      live,
    ].join('\n');
  });
  return status;
}
