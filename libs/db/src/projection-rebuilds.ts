import type postgres from 'postgres';
import type { RebuildState } from './schema.js';

/** One row of `projection_rebuilds`, as the rebuilder and its status read it. */
export interface RebuildRecord {
  id: string;
  projection: string;
  state: RebuildState;
  from: Record<string, unknown>;
  dryRun: boolean;
  target: number;
  position: number;
  processed: number;
  total: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

type Sql = postgres.Sql;

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The projection's latest rebuild, or undefined when it was never rebuilt; `running`: its latest
 * running one (a dry run recorded since does not hide it).
 */
export async function latestRebuild(
  sql: Sql,
  projection: string,
  options: { running?: boolean } = {},
): Promise<RebuildRecord | undefined> {
  const [row] = await sql<(Omit<RebuildRecord, 'target' | 'position' | 'processed' | 'total'> & Counts)[]>`
    select id::text, projection, state, "from", dry_run as "dryRun", target::text, position::text,
      processed::text, total::text, error, ${sql.unsafe(iso('started_at'))} as "startedAt",
      ${sql.unsafe(iso('finished_at'))} as "finishedAt"
    from projection_rebuilds where projection = ${projection} ${options.running ? sql`and state = 'running'` : sql``}
    order by started_at desc, id desc limit 1`;
  if (!row) return undefined;
  return {
    ...row,
    target: Number(row.target),
    position: Number(row.position),
    processed: Number(row.processed),
    total: Number(row.total),
  };
}

interface Counts {
  target: string;
  position: string;
  processed: string;
  total: string;
}

/** Records a new rebuild; a dry run is recorded finished, with its counts. */
export async function insertRebuild(
  sql: Sql,
  values: { projection: string; from: object; dryRun: boolean; target: number; total: number },
): Promise<string> {
  const { projection, from, dryRun, target, total } = values;
  const [row] = await sql<{ id: string }[]>`insert into projection_rebuilds
      (projection, state, "from", dry_run, target, total, position, finished_at)
    values (${projection}, ${dryRun ? 'done' : 'running'}, ${JSON.stringify(from)}::jsonb, ${dryRun},
      ${target}, ${total}, 0, ${dryRun ? sql`now()` : null})
    returning id::text`;
  if (!row) throw new Error('insert into projection_rebuilds returned no row');
  return row.id;
}

/** Sets where a (re)started replay stops and how many events it has to handle; nothing handled yet. */
export async function planRebuild(sql: Sql, id: string, plan: { target: number; total: number }): Promise<void> {
  await sql`update projection_rebuilds set target = ${plan.target}, total = ${plan.total}, position = 0,
    processed = 0 where id = ${id}::uuid`;
}

/** The checkpoint after a batch: every event up to `position` is in the projection. */
export async function checkpointRebuild(sql: Sql, id: string, position: number, handled: number): Promise<void> {
  await sql`update projection_rebuilds set position = ${position}, processed = processed + ${handled}
    where id = ${id}::uuid`;
}

export async function finishRebuild(
  sql: Sql,
  id: string,
  state: Exclude<RebuildState, 'running'>,
  error: string | null = null,
): Promise<void> {
  await sql`update projection_rebuilds set state = ${state}, error = ${error}, finished_at = now()
    where id = ${id}::uuid and state = 'running'`;
}

/** Two-key advisory locks: a key space of their own, apart from the migrations' and the outbox's bigint keys. */
const REBUILD_LOCK_CLASS = 0x43484f4d;

/**
 * Takes the projection's rebuild lock (a session advisory lock) on a connection of its own,
 * held while one replica rebuilds it: replicas share a database, and two rebuilds of one
 * projection must not run at once. Undefined when another session holds it. The lock goes
 * with the session, so a replica that dies mid-rebuild frees it.
 */
export async function claimRebuild(sql: Sql, projection: string): Promise<{ release(): Promise<void> } | undefined> {
  const connection = await sql.reserve();
  try {
    const [row] = await connection<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${REBUILD_LOCK_CLASS}::int, hashtext(${projection})) as locked`;
    if (row?.locked) {
      return {
        async release() {
          try {
            await connection`select pg_advisory_unlock(${REBUILD_LOCK_CLASS}::int, hashtext(${projection}))`;
          } finally {
            connection.release();
          }
        },
      };
    }
  } catch (error) {
    connection.release();
    throw error;
  }
  connection.release();
  return undefined;
}

/**
 * Empties a projection before it is replayed from the start, safe while its live listener
 * runs. One transaction: first `processed_events` (SHARE ROW EXCLUSIVE) — the listener's
 * transactions start there with their processed-event mark, so this waits for those in flight
 * and holds back new ones until commit; then the projection's tables (EXCLUSIVE: also against
 * `SELECT ... FOR UPDATE`, so a handler that locked a row before writing it cannot deadlock
 * with the DELETE); then the rows and the consumer's marks go together. Without the lock a
 * handler that committed its mark but whose row the DELETE removed would be lost for good:
 * the replay would skip it as already processed. Plain reads of the tables go on meanwhile.
 */
export async function resetProjection(sql: Sql, options: { tables: string[]; consumer?: string }): Promise<void> {
  await sql.begin(async (tx) => {
    if (options.consumer) await tx`lock table processed_events in share row exclusive mode`;
    await tx`lock table ${tx(options.tables)} in exclusive mode`;
    for (const table of options.tables) await tx`delete from ${tx(table)}`;
    if (options.consumer) await tx`delete from processed_events where consumer = ${options.consumer}`;
  });
}
