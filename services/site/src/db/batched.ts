import { groupCommit } from '@chom/db';
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
