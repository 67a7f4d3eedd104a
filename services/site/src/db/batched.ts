import { groupCommit, withStatementSpan, type KeyedEvents } from '@chom/db';
import { traceHeaders } from '@chom/telemetry';
import type { Db } from './queries.js';

const byPool = new WeakMap<object, Map<string, unknown>>();

/**
 * The `groupCommit` of one statement on one pool: every caller in this process that writes
 * through the same pool and `name` shares it, so concurrent calls share statements. `name`
 * must tell apart anything `run` captures besides `db` (the subject space of its events).
 */
export function batched<I, R>(db: Db, name: string, run: (items: I[]) => Promise<R[]>): (item: I) => Promise<R> {
  let statements = byPool.get(db);
  if (!statements) byPool.set(db, (statements = new Map()));
  let write = statements.get(name) as ((item: I) => Promise<R>) | undefined;
  if (!write) statements.set(name, (write = groupCommit(run)));
  return write;
}

/**
 * A change with outbox events through `batched`: `changeMany` applies a batch in one statement
 * (`changeManyWithEvents`) and returns the keys it changed. Each call gets its own statement
 * span, and its outbox rows that span's trace context, so every request's trace stays whole;
 * it resolves true when its key changed.
 */
export function batchedChange<T extends KeyedEvents>(
  db: Db,
  name: string,
  operation: string,
  changeMany: (batch: T[]) => Promise<Set<string>>,
): (item: Omit<T, 'headers'>) => Promise<boolean> {
  const write = batched(db, name, async (batch: T[]) => {
    const changed = await changeMany(batch);
    return batch.map((item) => changed.has(item.key));
  });
  return (item) => withStatementSpan(db, operation, () => write({ ...item, headers: traceHeaders() } as T));
}
