import { createDatabase, runMigrations, type Database } from '@chom/db';
import { createTestDatabase, type TestDatabase } from '@chom/db/testing';
import { createMetricsRegistry } from '@chom/telemetry';
import { captureLogger } from '@chom/telemetry/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBusinessMetrics } from '../src/business-metrics.js';
import { MIGRATIONS_FOLDER } from '../src/db/migrations.js';
import { recordMetrics } from '../src/handlers/record-metrics.js';
import { updateTenantStats } from '../src/handlers/update-tenant-stats.js';
import { siteEvents } from './fixtures.js';

// A batch costs the same statements (and round trips) whatever its size: the listeners' cost
// per event under load rests on it. Counted at the pool, as postgres.js sends them.
let testDb: TestDatabase;
let database: Database;
let statements: string[] = [];
const { logger } = captureLogger('metrics-statements');

beforeAll(async () => {
  testDb = await createTestDatabase('metrics_statements');
  database = createDatabase({
    url: testDb.url,
    max: 4,
    applicationName: 'metrics-statements',
    onStatement: (statement) => statements.push(statement),
  });
  await runMigrations(database, MIGRATIONS_FOLDER);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** The statements `run` sends. */
async function statementsOf(run: () => Promise<void>): Promise<string[]> {
  statements = [];
  await run();
  return statements;
}

/** `n` sites' created and provisioned events, the created ones first (as a batch would hold them). */
function batchOf(n: number) {
  const sites = Array.from({ length: n }, (_, i) => siteEvents(`t_${i % 3}`));
  return {
    created: sites.map((s) => s.events[0]!),
    provisioned: sites.map((s) => s.events[1]!),
  };
}

it('the metrics listener counts a batch in one statement, of any size', async () => {
  const metrics = createBusinessMetrics(createMetricsRegistry('metrics', { defaultMetrics: false }));
  const deps = { db: database.db, metrics, logger };
  for (const size of [1, 25]) {
    const { created, provisioned } = batchOf(size);
    expect(await statementsOf(() => recordMetrics(created, deps))).toHaveLength(1);
    expect(await statementsOf(() => recordMetrics(provisioned, deps))).toHaveLength(1);
  }
});

it('tenant-stats applies a batch in one transaction of eight statements, of any size', async () => {
  const deps = { db: database.db, logger };
  const counts: number[] = [];
  for (const size of [1, 25]) {
    const { created, provisioned } = batchOf(size);
    const sent = await statementsOf(() => updateTenantStats(created, deps));
    counts.push(sent.length, (await statementsOf(() => updateTenantStats(provisioned, deps))).length);
    expect(sent[0]).toMatch(/^begin/i);
    expect(sent.at(-1)).toMatch(/^commit/i);
  }
  // BEGIN; the marks, the tenants' insert and lock and the sites' lock sent together; the states
  // and the counters together; COMMIT: eight statements in four round trips.
  expect(counts).toEqual([8, 8, 8, 8]);
});
