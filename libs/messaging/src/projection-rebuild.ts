import {
  AppError,
  eventFilter,
  type AnyEvent,
  type ProjectionStatus,
  type ReplayStart,
  type SubjectSpace,
} from '@chom/contracts';
import {
  checkpointRebuild,
  claimRebuild,
  finishRebuild,
  insertRebuild,
  latestRebuild,
  planRebuild,
  type RebuildRecord,
} from '@chom/db';
import type { Logger } from '@chom/telemetry';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type postgres from 'postgres';
import { planReplay, replayStream } from './replay.js';

export interface ProjectionRebuilderOptions {
  /** The projection's name (`tenant-stats`), as operators and `projection_rebuilds` know it. */
  projection: string;
  sql: postgres.Sql;
  js: JetStreamClient;
  jsm: JetStreamManager;
  space: Pick<SubjectSpace, 'stream' | 'events'>;
  /** The live listener's durable consumer, for the status's lag figure. */
  consumer: string;
  /** What the projection follows; default every event of the space. */
  filter?: string;
  /** The projection's idempotent write: the live listener's, so events handled live are not applied twice. */
  handle: (event: AnyEvent, seq: number) => Promise<void>;
  /** Empties the projection (a rebuild from the start runs it first); none: replay onto what is there. */
  reset?: () => Promise<void>;
  logger: Logger;
  /** Events handled between checkpoints (default 64). */
  batch?: number;
}

export interface ProjectionRebuilder {
  readonly projection: string;
  /** Starts a rebuild (or counts one, `dryRun`); CONFLICT while one runs, here or on another replica. */
  start(request: { from: ReplayStart; dryRun: boolean }): Promise<ProjectionStatus>;
  status(): Promise<ProjectionStatus>;
  /** Picks up a rebuild that was running when its replica stopped (call at start-up). */
  resume(): Promise<void>;
  /** Stops a running rebuild where it is; it stays `running` and resumes at the next start. */
  stop(): Promise<void>;
  /** Resolves when the running rebuild (if any) ends. */
  idle(): Promise<void>;
}

type Claim = NonNullable<Awaited<ReturnType<typeof claimRebuild>>>;

/** Where a rebuild goes on from: after its checkpoint, or its own start when nothing was checkpointed. */
export function resumePoint(row: Pick<RebuildRecord, 'from' | 'position'>): ReplayStart {
  return row.position > 0 ? { kind: 'seq', seq: row.position + 1 } : (row.from as ReplayStart);
}

/** Whether a rebuild that has checkpointed nothing must empty the projection (again) before replaying. */
export function needsReset(row: Pick<RebuildRecord, 'from' | 'position'>, hasReset: boolean): boolean {
  return hasReset && row.position === 0 && (row.from as ReplayStart).kind === 'start';
}

/**
 * Rebuilds one projection from the event stream while its live listener goes on. From the
 * start: `reset` empties it, then the stream is replayed up to its last sequence at that
 * moment (later events are the live listener's). From a sequence or a time: replayed onto
 * the projection as it is. Both rely on the handler's idempotence (processed-event marks,
 * insert-or-skip, sequence guards) so an event the live listener also handles counts once.
 * Progress is checkpointed in `projection_rebuilds` after every batch; an interrupted
 * rebuild resumes from its checkpoint at the next start. One rebuild per projection at a
 * time across replicas (a session advisory lock).
 */
export function createProjectionRebuilder(options: ProjectionRebuilderOptions): ProjectionRebuilder {
  const { projection, sql, jsm, space, logger } = options;
  const filter = options.filter ?? eventFilter(space);
  let running: { abort: AbortController; done: Promise<void> } | undefined;

  async function status(): Promise<ProjectionStatus> {
    const row = await latestRebuild(sql, projection);
    let live: ProjectionStatus['live'] = null;
    try {
      const info = await jsm.consumers.info(space.stream, options.consumer);
      live = {
        consumer: options.consumer,
        pending: info.num_pending + info.num_ack_pending,
        ackFloor: info.ack_floor.stream_seq,
      };
    } catch {
      live = null;
    }
    if (!row) return { projection, rebuild: null, live };
    const { projection: _name, from, ...rest } = row;
    return { projection, rebuild: { ...rest, from: from as ReplayStart }, live };
  }

  /** Empties the projection when the rebuild starts from scratch, then fixes where it ends and what it counts. */
  async function plan(row: Pick<RebuildRecord, 'id' | 'from' | 'position'>): Promise<number> {
    if (needsReset(row, Boolean(options.reset))) await options.reset?.();
    // Planned after the reset: every event the listener applied before it is at or below the target, so replayed.
    const { target, total } = await planReplay(options.js, jsm, space.stream, filter, row.from as ReplayStart);
    await planRebuild(sql, row.id, { target, total });
    return target;
  }

  function run(id: string, from: ReplayStart, target: number, claim: Claim): void {
    const abort = new AbortController();
    let recorded = 0;
    const done = replayStream({
      js: options.js,
      jsm,
      stream: space.stream,
      filter,
      from,
      target,
      handle: options.handle,
      signal: abort.signal,
      ...(options.batch ? { batch: options.batch } : {}),
      onProgress: async (p) => {
        await checkpointRebuild(sql, id, p.position, p.processed - recorded);
        recorded = p.processed;
      },
    })
      .then(async () => {
        if (abort.signal.aborted) return;
        await finishRebuild(sql, id, 'done');
        logger.info({ projection, rebuild: id }, 'projection rebuilt');
      })
      .catch(async (error: unknown) => {
        logger.error({ err: error, projection, rebuild: id }, 'projection rebuild failed');
        await finishRebuild(sql, id, 'failed', message(error)).catch((cause: unknown) =>
          logger.error({ err: cause, rebuild: id }, 'could not record the failed rebuild'),
        );
      })
      .finally(async () => {
        running = undefined;
        await claim.release().catch((error: unknown) => logger.warn({ err: error }, 'rebuild lock release failed'));
      });
    running = { abort, done };
  }

  async function claimOrConflict(): Promise<Claim> {
    const claim = running ? undefined : await claimRebuild(sql, projection);
    if (!claim) throw new AppError('CONFLICT', `a rebuild of ${projection} is already running`);
    return claim;
  }

  return {
    projection,
    status,
    async start({ from, dryRun }) {
      const claim = await claimOrConflict();
      let handedOver = false;
      try {
        if (dryRun) {
          const { target, total } = await planReplay(options.js, jsm, space.stream, filter, from);
          await insertRebuild(sql, { projection, from, dryRun, target, total });
          return await status();
        }
        // Running, yet nobody holds the lock: its replica died and has not restarted. This request supersedes it.
        const orphan = await latestRebuild(sql, projection, { running: true });
        if (orphan) await finishRebuild(sql, orphan.id, 'cancelled', 'superseded by a new rebuild');
        const id = await insertRebuild(sql, { projection, from, dryRun, target: 0, total: 0 });
        try {
          run(id, from, await plan({ id, from, position: 0 }), claim);
          handedOver = true;
        } catch (error) {
          await finishRebuild(sql, id, 'failed', message(error));
          throw error;
        }
        logger.info({ projection, rebuild: id, from }, 'projection rebuild started');
        return await status();
      } finally {
        if (!handedOver) await claim.release();
      }
    },
    async resume() {
      if (running) return;
      const claim = await claimRebuild(sql, projection);
      if (!claim) return;
      const row = await latestRebuild(sql, projection, { running: true }).catch(async (error: unknown) => {
        await claim.release();
        throw error;
      });
      if (!row) return claim.release();
      logger.info({ projection, rebuild: row.id, position: row.position }, 'resuming the projection rebuild');
      try {
        run(row.id, resumePoint(row), row.position === 0 ? await plan(row) : row.target, claim);
      } catch (error) {
        // The service still starts: the rebuild is recorded failed and can be started again.
        logger.error({ err: error, projection, rebuild: row.id }, 'could not resume the projection rebuild');
        await finishRebuild(sql, row.id, 'failed', message(error));
        await claim.release();
      }
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

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
