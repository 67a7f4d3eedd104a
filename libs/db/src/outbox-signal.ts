import type postgres from 'postgres';

/** The channel committed outbox rows are announced on; the relay listens on it. */
export const OUTBOX_CHANNEL = 'chom_outbox';

interface Scope {
  written: boolean;
}

/** Transactions opened by `createDatabase`'s `db.transaction`: their tx object -> scope. */
const scopes = new WeakMap<object, Scope>();
/** Per pool: callbacks woken after a commit that wrote outbox rows (the in-process relay). */
const subscribers = new WeakMap<postgres.Sql, Set<() => void>>();
const notifying = new WeakMap<postgres.Sql, { inFlight: boolean; again: boolean }>();

/**
 * Runs `transaction` (a `db.transaction` of `sql`'s pool) and, once it has committed outbox
 * rows, wakes this process's relay at once (see {@link signalOutbox}).
 * A `NOTIFY` inside each writing transaction would serialise every such commit in the
 * cluster on Postgres's notify-queue lock, held through the WAL flush.
 */
export async function withOutboxSignal<T>(
  sql: postgres.Sql,
  transaction: (register: (tx: object) => void) => Promise<T>,
): Promise<T> {
  const scope: Scope = { written: false };
  const result = await transaction((tx) => scopes.set(tx, scope));
  if (scope.written) signalOutbox(sql);
  return result;
}

/**
 * Called by `enqueueEvents` with its `tx`: true when that transaction signals after its
 * commit; false (a transaction opened elsewhere, a savepoint) means notify inside it.
 */
export function deferOutboxSignal(tx: object): boolean {
  const scope = scopes.get(tx);
  if (!scope) return false;
  scope.written = true;
  return true;
}

/** Calls `wake` after each commit of `sql`'s pool that wrote outbox rows; returns the unsubscribe. */
export function onOutboxCommitted(sql: postgres.Sql, wake: () => void): () => void {
  const set = subscribers.get(sql) ?? new Set();
  subscribers.set(sql, set);
  set.add(wake);
  return () => set.delete(wake);
}

/**
 * Outbox rows were committed on `sql`'s pool: wakes this process's relay or, when the process
 * has none, sends one coalesced `NOTIFY` for the relays of other processes. The relay that
 * leads publishes its own process's rows without one; a relay standing by notifies the leader
 * itself. A `NOTIFY` on every commit would wake every relay, and each is a transaction with a
 * WAL flush (notifications take a transaction id).
 */
export function signalOutbox(sql: postgres.Sql): void {
  const local = subscribers.get(sql);
  if (local && local.size > 0) local.forEach((wake) => wake());
  else notifyRelays(sql);
}

/** Sends one coalesced `NOTIFY` on `sql`'s pool: wakes the relays of every process (best effort). */
export function notifyRelays(sql: postgres.Sql): void {
  const state = notifying.get(sql) ?? { inFlight: false, again: false };
  notifying.set(sql, state);
  if (state.inFlight) {
    state.again = true;
    return;
  }
  state.inFlight = true;
  // Best effort: a lost notification only leaves the rows to the relays' polling.
  void sql`select pg_notify(${OUTBOX_CHANNEL}, '')`
    .catch(() => undefined)
    .finally(() => {
      state.inFlight = false;
      if (state.again) {
        state.again = false;
        notifyRelays(sql);
      }
    });
}
