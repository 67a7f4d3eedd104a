import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';

/**
 * What functions that take part in the caller's transaction accept: the drizzle database
 * (`database.db`, one statement in its own transaction) or, usually, the `tx` of
 * `db.transaction(async (tx) => ...)`, so the write and the caller's state change commit
 * or roll back together.
 *
 * ```ts
 * await database.db.transaction(async (tx) => {
 *   await tx.insert(sites).values(site);
 *   await enqueueEvents(tx, space, [created], { traceparent });
 * });
 * ```
 *
 * Functions that run on their own (the relay's batch, pruning, the failure store) take the
 * postgres.js client, `database.sql`, instead.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema a service declares
export type DbExecutor = PgDatabase<PostgresJsQueryResultHKT, any, ExtractTablesWithRelations<any>>;
