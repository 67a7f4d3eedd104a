import { describe, expect, it } from 'vitest';
import { nextSiteRow, type SiteFactEnvelope } from './site-model.js';

const siteId = '0193f6a2-7b1c-7def-8abc-0123456789ab';
const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const fact = (type: SiteFactEnvelope['fact']['type'], sequence: number, tenantId = 't_1'): SiteFactEnvelope => ({
  tenantId,
  occurredAt: at(sequence),
  sequence,
  fact:
    type === 'site.created'
      ? { type, siteId, domain: 'a.example.com', siteType: 'html' }
      : { type, siteId, domain: 'a.example.com' },
});

describe('nextSiteRow', () => {
  it('follows created -> provisioned -> deleted', () => {
    const created = nextSiteRow(undefined, fact('site.created', 1));
    expect(created).toMatchObject({ status: 'provisioning', siteType: 'html', createdAt: at(1), lastSequence: 1 });
    const active = nextSiteRow(created, fact('site.provisioned', 2));
    expect(active).toMatchObject({ status: 'active', createdAt: at(1), updatedAt: at(2), siteType: 'html' });
    const deleted = nextSiteRow(active, fact('site.deleted', 3));
    expect(deleted).toMatchObject({ status: 'deleted', deletedAt: at(3), lastSequence: 3 });
  });

  it('changes nothing for repeated or older events, another tenant, or a deleted site', () => {
    const active = nextSiteRow(nextSiteRow(undefined, fact('site.created', 1)), fact('site.provisioned', 2));
    expect(nextSiteRow(active, fact('site.provisioned', 2))).toBeUndefined();
    expect(nextSiteRow(active, fact('site.created', 1))).toBeUndefined();
    expect(nextSiteRow(active, fact('site.deleted', 3, 't_2'))).toBeUndefined();
    const deleted = nextSiteRow(active, fact('site.deleted', 3));
    expect(nextSiteRow(deleted, fact('site.provisioned', 4))).toBeUndefined();
  });

  it('starts a row from any event when the stream no longer holds site.created', () => {
    expect(nextSiteRow(undefined, fact('site.provisioned', 7))).toMatchObject({ status: 'active', siteType: null });
  });
});

describe('nextSiteRow replayed over a row the live listener moved on', () => {
  const after = (events: SiteFactEnvelope[]) =>
    events.reduce<ReturnType<typeof nextSiteRow>>((row, e) => nextSiteRow(row, e) ?? row, undefined);
  const life = [fact('site.created', 1), fact('site.provisioned', 2), fact('site.deleted', 3)];

  it('ends as in stream order, whichever order the events come in', () => {
    const inOrder = after(life);
    const [c, p, d] = life as [SiteFactEnvelope, SiteFactEnvelope, SiteFactEnvelope];
    for (const order of [
      [d, c, p],
      [p, d, c],
      [d, p, c],
      [p, c, d],
      [c, d, p],
    ])
      expect(after(order)).toEqual(inOrder);
    expect(after([p, c])).toEqual(after([c, p]));
  });

  it('never moves a deleted site back, and fills in only the type and creation time', () => {
    const deleted = after([fact('site.deleted', 3)]);
    expect(deleted).toMatchObject({ status: 'deleted', siteType: null, createdAt: at(3) });
    const filled = nextSiteRow(deleted, fact('site.created', 1));
    expect(filled).toMatchObject({ status: 'deleted', siteType: 'html', createdAt: at(1), updatedAt: at(3) });
    expect(filled?.lastSequence).toBe(3);
    expect(nextSiteRow(filled, fact('site.provisioned', 2))).toBeUndefined();
    expect(nextSiteRow(filled, fact('site.created', 1))).toBeUndefined();
  });

  it('takes the earliest event seen as the creation time while site.created is unknown', () => {
    const row = after([fact('site.deleted', 9)]);
    expect(nextSiteRow(row, fact('site.provisioned', 4))).toMatchObject({ createdAt: at(4), status: 'deleted' });
  });
});
