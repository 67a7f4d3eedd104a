import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { withOutboxSignal } from './outbox-signal.js';
import { isTracing, SpanKind, trace, withSpan, type Attributes, type Logger } from '@chom/telemetry';

/** A service's connection pool: postgres.js for raw SQL and LISTEN, drizzle over the same pool. */
export interface Database {
  sql: postgres.Sql;
  db: PostgresJsDatabase<Record<string, never>>;
  /** Ends the pool, letting running queries finish for up to 5 s. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** Pool size; default 10. `runMigrations` needs at least 2. */
  max?: number;
  /** Shown in `pg_stat_activity`: the service's name. */
  applicationName: string;
  /**
   * Postgres's `plan_cache_mode` for every session (default `force_custom_plan`, see
   * `sessionSettings`). `auto` lets Postgres reuse a generic plan after five runs of a prepared
   * statement, which saves planning every run; it is safe only where the tables' statistics
   * are kept (autovacuum on, the default): a generic plan made while a table was young is
   * replanned only when an ANALYZE or VACUUM of that table invalidates it, or its connection
   * ends (postgres.js replaces a connection after 30-60 minutes).
   */
  planCacheMode?: 'force_custom_plan' | 'auto';
  logger?: Logger;
  /**
   * Called with each statement's text as the pool sends it (BEGIN and COMMIT included), e.g.
   * for a test that counts a handler's statements. It also makes postgres.js attach the query
   * text to its errors; leave it unset in production.
   */
  onStatement?: (statement: string) => void;
}

/**
 * Opens a pool (lazily: the first query connects). Note that drizzle makes this client
 * return timestamps as strings and stop serialising JSON parameters itself: raw queries on
 * `sql` should pass JSON as `${JSON.stringify(v)}::jsonb` and compute times in SQL.
 */
export function createDatabase(opts: DatabaseOptions): Database {
  const sql = postgres(opts.url, {
    max: opts.max ?? 10,
    connection: sessionSettings(opts.applicationName, opts.planCacheMode),
    onnotice: (notice) => opts.logger?.debug({ notice: notice.message }, 'postgres notice'),
    ...(opts.onStatement ? { debug: (_connection: number, statement: string) => opts.onStatement?.(statement) } : {}),
  });
  const db = drizzle(preparing(sql), { logger: { logQuery: recordQuery } });
  db.$client = sql;
  traceTransactions(db, opts.url);
  signalOutboxCommits(db, sql);
  sessionFactories.set(sql, (name) =>
    postgres(opts.url, {
      max: 1,
      connection: sessionSettings(`${opts.applicationName}-${name}`, opts.planCacheMode),
      onnotice: (notice) => opts.logger?.debug({ notice: notice.message }, 'postgres notice'),
    }),
  );
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * drizzle runs a statement as a named prepared statement only when it was built with
 * `.prepare(name)`; otherwise it asks postgres.js for an unnamed one, and postgres.js then
 * first asks the server for the parameter types: two round trips, a parse and a plan for
 * every statement, and no pipelining within a transaction. Prepared (per connection, keyed
 * by text and types), a statement takes one round trip after its first use. Statement texts
 * are few and fixed here (lists travel as one JSON or array parameter), so the per-connection
 * caches stay small.
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'unsafe')
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params, { ...options, prepare: true });
      if (key === 'begin' || key === 'savepoint')
        return (...args: unknown[]) => {
          const run = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const open = Reflect.get(target, key, receiver) as (...a: unknown[]) => Promise<unknown>;
          return open(...args, (tx: postgres.TransactionSql) => run(preparing(tx)));
        };
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/**
 * Settings of every session, sent at connect. Statements are prepared once per connection,
 * and Postgres would switch a prepared statement to a generic plan after five runs and keep
 * it for the life of the connection: a plan made while a table was young (a service started
 * on an empty database) reads the whole table on every run once it has grown (the outbox
 * marks, the provisioning claim and activation, the backup read model all did). A custom plan
 * per run costs a plan, and follows the table as it grows. Where autovacuum keeps the
 * statistics, `auto` is the cheaper choice (`DatabaseOptions.planCacheMode`).
 */
function sessionSettings(
  applicationName: string,
  planCacheMode: DatabaseOptions['planCacheMode'] = 'force_custom_plan',
): Record<string, string> {
  return { application_name: applicationName, plan_cache_mode: planCacheMode };
}

const sessionFactories = new WeakMap<postgres.Sql, (name: string) => postgres.Sql>();

/**
 * A client of one connection to the database of `sql` (a `createDatabase` pool), for state
 * that lives in a session, such as a session advisory lock; `name` is appended to the
 * application name. When its connection drops, the next query opens a new one (a new session:
 * the caller re-establishes its state). A connection reserved from the pool would not do: a
 * query on a reserved connection whose socket has closed throws inside postgres.js, outside
 * any promise, and takes the process down. End it with `end()`.
 */
export function openSession(sql: postgres.Sql, name: string): postgres.Sql {
  const open = sessionFactories.get(sql);
  if (!open) throw new Error('openSession needs a pool opened by createDatabase');
  return open(name);
}

/**
 * postgres.js has no OpenTelemetry instrumentation: inside a trace, each `db.transaction`
 * becomes a CLIENT span and each statement an event on the span that runs it (the
 * parameterised SQL, never the values). Outside a trace (start-up, migrations) nothing is
 * recorded.
 */
function traceTransactions(db: PostgresJsDatabase<Record<string, never>>, url: string): void {
  const target = new URL(url);
  const server: Attributes = {
    'db.system.name': 'postgresql',
    'db.namespace': decodeURIComponent(target.pathname.replace(/^\//, '')),
    'server.address': target.hostname,
    'server.port': Number(target.port || 5432),
  };
  serverAttributes.set(db, server);
  const attributes: Attributes = { ...server, 'db.operation.name': 'TRANSACTION' };
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn, config) =>
    isTracing()
      ? withSpan('db.transaction', { kind: SpanKind.CLIENT, attributes }, () => transaction(fn, config))
      : transaction(fn, config)) as typeof db.transaction;
}

const serverAttributes = new WeakMap<object, Attributes>();

/**
 * Runs one statement outside a transaction (on a `createDatabase` pool's drizzle handle) in a
 * CLIENT span, like a transaction's; inside a transaction, or outside a trace, just runs it.
 */
export function withStatementSpan<T>(db: object, operation: string, run: () => Promise<T>): Promise<T> {
  const server = serverAttributes.get(db);
  if (!server || !isTracing()) return run();
  return withSpan(
    'db.query',
    { kind: SpanKind.CLIENT, attributes: { ...server, 'db.operation.name': operation } },
    run,
  );
}

/** Each `db.transaction` that wrote outbox rows wakes the relays after it commits. */
function signalOutboxCommits(db: PostgresJsDatabase<Record<string, never>>, sql: postgres.Sql): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn, config) =>
    withOutboxSignal(sql, (register) =>
      transaction((tx) => {
        register(tx);
        return fn(tx);
      }, config),
    )) as typeof db.transaction;
}

function recordQuery(query: string): void {
  if (isTracing()) trace.getActiveSpan()?.addEvent('db.query', { 'db.query.text': query.slice(0, 2000) });
}

/** The URL of the maintenance database (`postgres`) on the same server as `url`. */
export function maintenanceUrl(url: string): { url: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error(`database url names no database: ${parsed.host}`);
  parsed.pathname = '/postgres';
  return { url: parsed.toString(), database };
}

/**
 * Creates the database `url` names if it does not exist, connecting to the server's
 * `postgres` database; safe when several replicas start at once.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const { url: adminUrl, database } = maintenanceUrl(url);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${database}`;
    if (exists) return;
    await admin`create database ${admin(database)}`.catch((error: unknown) => {
      // Racing replicas: 42P04 when the name is taken first, 23505 when both insert into the catalogue.
      if (!(error instanceof postgres.PostgresError && (error.code === '42P04' || error.code === '23505'))) throw error;
    });
  } finally {
    await admin.end({ timeout: 5 });
  }
}
