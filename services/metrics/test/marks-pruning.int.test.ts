import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteEvents } from './fixtures.js';
import { startHarness, type MetricsHarness } from './harness.js';

// The listeners' processed-event marks are kept while their events may still be delivered:
// here with no margin, so a mark goes as soon as the stream no longer holds its event.
describe('processed-event mark pruning', () => {
  let h: MetricsHarness;
  beforeAll(async () => {
    h = await startHarness('marks', { processedMarks: { marginMs: 0, pruneIntervalMs: 3_600_000 } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const marks = async () =>
    (
      await h.database.sql<{ consumer: string; n: number }[]>`
      select consumer, count(*)::int as n from processed_events group by consumer order by consumer`
    ).reduce<Record<string, number>>((all, row) => ({ ...all, [row.consumer]: row.n }), {});

  it('deletes the marks of events the stream no longer holds, and keeps the others', async () => {
    const old = [siteEvents('t_marks'), siteEvents('t_marks')].flatMap((s) => s.events);
    for (const event of old) await h.publish(event);
    await expect.poll(marks, { timeout: 10_000 }).toEqual({ metrics: 4, 'tenant-stats': 4 });
    expect(await h.service.pruneMarks()).toBe(0);

    // The stream drops the old events (as its age limit would), then takes a new one.
    const jsm = await jetstreamManager(h.nc);
    await jsm.streams.purge(h.space.stream);
    expect(await h.service.pruneMarks()).toBe(0); // an empty stream prunes nothing
    const [fresh] = siteEvents('t_marks').events;
    await h.publish(fresh!);
    await expect.poll(marks, { timeout: 10_000 }).toEqual({ metrics: 5, 'tenant-stats': 5 });

    expect(await h.service.pruneMarks()).toBe(8);
    expect(await marks()).toEqual({ metrics: 1, 'tenant-stats': 1 });
    const [kept] = await h.database.sql<{ id: string }[]>`select distinct event_id::text as id from processed_events`;
    expect(kept?.id).toBe(fresh!.id);
  });
});
