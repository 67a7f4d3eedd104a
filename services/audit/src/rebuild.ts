import {
  AppError,
  eventFilter,
  type AnyEvent,
  type ProjectionStatus,
  type ReplayStart,
  type SubjectSpace,
} from '@chom/contracts';
import { replayStream, type ReplayProgress } from '@chom/messaging';
import type { Logger } from '@chom/telemetry';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Database } from '@chom/db';

export const AUDIT_PROJECTION = 'audit-log';

export interface RebuilderDeps {
  sql: Database['sql'];
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
  /** The live listener's consumer, for the status's lag figure. */
  consumer: string;
  /** The projection's idempotent write (the audit listener's handler). */
  handle: (event: AnyEvent) => Promise<void>;
  logger: Logger;
}

export interface Rebuilder {
  start(request: { from: ReplayStart; dryRun: boolean }): Promise<ProjectionStatus>;
  status(): Promise<ProjectionStatus>;
  /** Picks up a rebuild that was running when the service stopped. */
  resume(): Promise<void>;
  /** Stops a running rebuild where it is; it stays `running` and resumes at the next start. */
  stop(): Promise<void>;
  /** Resolves when the running rebuild (if any) ends. */
  idle(): Promise<void>;
}

interface RebuildRow {
  id: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  from: ReplayStart;
  dryRun: boolean;
  target: string;
  position: string;
  processed: string;
  total: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Rebuilds the audit log by replaying the stream into it (insert-or-skip by event id), from the
 * start, a sequence or a time, while the live listener goes on. Progress is checkpointed in
 * `projection_rebuilds` after every batch, so an interrupted rebuild resumes where it stopped.
 */
export function createAuditRebuilder(deps: RebuilderDeps): Rebuilder {
  const { sql, logger } = deps;
  let running: { abort: AbortController; done: Promise<void> } | undefined;

  const latest = async () => {
    const [row] = await sql<RebuildRow[]>`select id::text, state, "from", dry_run as "dryRun", target::text,
        position::text, processed::text, total::text, error, ${sql.unsafe(iso('started_at'))} as "startedAt",
        ${sql.unsafe(iso('finished_at'))} as "finishedAt"
      from projection_rebuilds where projection = ${AUDIT_PROJECTION} order by started_at desc limit 1`;
    return row;
  };

  async function status(): Promise<ProjectionStatus> {
    const row = await latest();
    let live: ProjectionStatus['live'] = null;
    try {
      const info = await deps.jsm.consumers.info(deps.space.stream, deps.consumer);
      live = {
        consumer: deps.consumer,
        pending: info.num_pending + info.num_ack_pending,
        ackFloor: info.ack_floor.stream_seq,
      };
    } catch {
      live = null;
    }
    return {
      projection: AUDIT_PROJECTION,
      rebuild: row
        ? {
            ...row,
            target: Number(row.target),
            position: Number(row.position),
            processed: Number(row.processed),
            total: Number(row.total),
          }
        : null,
      live,
    };
  }

  function run(id: string, from: ReplayStart, target: number, position: number): void {
    const abort = new AbortController();
    const resumeFrom: ReplayStart = position > 0 ? { kind: 'seq', seq: position + 1 } : from;
    const save = (p: ReplayProgress) =>
      sql`update projection_rebuilds set position = ${p.position}, processed = processed + ${p.processed}
        where id = ${id}::uuid`;
    let saved = 0;
    const done = replayStream({
      ...deps,
      stream: deps.space.stream,
      filter: eventFilter(deps.space),
      from: resumeFrom,
      target,
      handle: (event) => deps.handle(event),
      signal: abort.signal,
      onProgress: async (p) => {
        await save({ ...p, processed: p.processed - saved });
        saved = p.processed;
      },
    })
      .then(async () => {
        if (abort.signal.aborted) return;
        await sql`update projection_rebuilds set state = 'done', finished_at = now() where id = ${id}::uuid`;
        logger.info({ rebuild: id }, 'audit projection rebuilt');
      })
      .catch(async (error: unknown) => {
        logger.error({ err: error, rebuild: id }, 'audit projection rebuild failed');
        await sql`update projection_rebuilds set state = 'failed', error = ${String(error)}, finished_at = now()
          where id = ${id}::uuid`;
      })
      .finally(() => {
        running = undefined;
      });
    running = { abort, done };
  }

  return {
    status,
    async start({ from, dryRun }) {
      if (running) throw new AppError('CONFLICT', 'a rebuild of the audit projection is already running');
      const counted = await replayStream({
        ...deps,
        stream: deps.space.stream,
        filter: eventFilter(deps.space),
        from,
        handle: async () => {},
        countOnly: true,
      });
      const [row] = await sql<{ id: string }[]>`insert into projection_rebuilds
          (projection, state, "from", dry_run, target, total, position, finished_at)
        values (${AUDIT_PROJECTION}, ${dryRun ? 'done' : 'running'}, ${JSON.stringify(from)}::jsonb, ${dryRun},
          ${counted.target}, ${counted.total}, 0, ${dryRun ? sql`now()` : null})
        returning id::text`;
      if (!row) throw new Error('insert returned no row');
      if (!dryRun) run(row.id, from, counted.target, 0);
      return status();
    },
    async resume() {
      const row = await latest();
      if (row?.state !== 'running' || running) return;
      logger.info({ rebuild: row.id, position: row.position }, 'resuming the audit projection rebuild');
      run(row.id, row.from, Number(row.target), Number(row.position));
    },
    async stop() {
      const current = running;
      current?.abort.abort();
      await current?.done;
    },
    async idle() {
      await running?.done;
    },
  };
}
