import { describe, expect, it } from 'vitest';
import { sampleEvent } from '@chom/contracts/testing';
import { toOutboxValues } from './outbox.js';

describe('toOutboxValues', () => {
  it('derives each row from its event, keeping order and the shared headers', () => {
    const events = [sampleEvent({ tenantId: 't_a' }), sampleEvent({ tenantId: 't_b' })];
    const rows = toOutboxValues({ events: 'ev' }, events, { traceparent: 'tp' });
    expect(rows).toEqual([
      { eventId: events[0]!.id, subject: 'ev.t_a.site.created', event: events[0], headers: { traceparent: 'tp' } },
      { eventId: events[1]!.id, subject: 'ev.t_b.site.created', event: events[1], headers: { traceparent: 'tp' } },
    ]);
  });

  it('defaults to no headers', () => {
    expect(toOutboxValues({ events: 'events' }, [sampleEvent()])[0]?.headers).toEqual({});
  });
});
