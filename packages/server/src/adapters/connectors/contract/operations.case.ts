import { describe, expect, it, type TestContext } from 'vitest';
import { ARCHIVED_PROPERTY } from '../../../core/ports/connector.js';
import { OPERATOR, SECOND, ctxFor, searchAll, type ConnectorHarness } from './kit.case.js';

/**
 * Operations beyond field edits and their reversibility: create (compensatable by archiving),
 * launch (irreversible), pause and enroll (compensatable). A connector without the object or
 * operation skips the case and says so.
 */
export function describeOperations(h: () => ConnectorHarness) {
  const supports = (ctx: TestContext, object: string, operation: string) => {
    const schema = h()
      .connector.schema()
      .find((o) => o.name === object);
    ctx.skip(!schema?.operations.includes(operation), `${h().connector.type} has no ${object}.${operation}`);
  };

  describe('operations', () => {
    it('create is compensatable: the record appears, and undoing it archives it', async (ctx) => {
      supports(ctx, 'contacts', 'create');
      const { connector, clock } = h();
      clock.advance(SECOND);
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'create',
        records: [{ id: 'new-1', changes: { email: 'new.person@example.com', firstname: 'New', country: 'US' } }],
      });
      expect(plan.records).toEqual([
        expect.objectContaining({
          id: 'new-1',
          before: { email: null, firstname: null, country: null },
          reversibility: 'compensatable',
          noop: false,
        }),
      ]);
      const result = await connector.apply(plan, ctxFor());
      if (result.type !== 'applied') throw new Error(JSON.stringify(result));
      const [created] = result.records;
      expect(created?.ref).toBe('new-1');
      const record = await connector.get('contacts', created!.id);
      expect(record?.properties).toMatchObject({ email: 'new.person@example.com', firstname: 'New', country: 'US' });
      const found = await searchAll(connector, 'contacts', [
        { property: 'email', operator: 'EQ', value: 'new.person@example.com' },
      ]);
      expect(found.results.map((r) => r.id)).toEqual([created!.id]);

      clock.advance(SECOND);
      const undo = {
        object: 'contacts',
        id: created!.id,
        property: ARCHIVED_PROPERTY,
        wrote: 'false',
        restore: 'true',
        appliedAt: result.appliedAt,
      };
      expect(await connector.revert([undo], ctxFor(OPERATOR))).toEqual([
        { id: created!.id, property: ARCHIVED_PROPERTY, type: 'restored' },
      ]);
      expect(await connector.get('contacts', created!.id)).toBeUndefined();
      expect(await connector.revert([undo], ctxFor(OPERATOR))).toEqual([
        { id: created!.id, property: ARCHIVED_PROPERTY, type: 'already_restored' },
      ]);
    });

    it('launching a campaign is irreversible and sends its unsent emails; launching again is invalid', async (ctx) => {
      supports(ctx, 'campaigns', 'launch');
      const { connector } = h();
      const drafts = await searchAll(connector, 'campaigns', [
        { property: 'status', operator: 'IN', values: ['draft', 'scheduled'] },
      ]);
      ctx.skip(drafts.results.length === 0, 'the fixture has no draft or scheduled campaign');
      const campaign = drafts.results[0]!;
      const plan = await connector.plan({ object: 'campaigns', operation: 'launch', target: campaign.id });
      expect(plan.target).toBe(campaign.id);
      expect(plan.records[0]).toMatchObject({
        object: 'campaigns',
        id: campaign.id,
        after: { status: 'active' },
        reversibility: 'irreversible',
      });
      expect(plan.records.slice(1).every((r) => r.object === 'marketing_emails' && r.after['status'] === 'sent')).toBe(
        true,
      );
      expect((await connector.apply(plan, ctxFor())).type).toBe('applied');
      expect((await connector.get('campaigns', campaign.id))?.properties['status']).toBe('active');
      const again = await connector.plan({ object: 'campaigns', operation: 'launch', target: campaign.id });
      expect(again.invalid).toEqual([expect.objectContaining({ id: campaign.id, property: 'status' })]);
    });

    it('pausing is compensatable; pausing a paused campaign is a no-op; unknown targets are missing', async (ctx) => {
      supports(ctx, 'campaigns', 'pause');
      const { connector } = h();
      const active = await searchAll(connector, 'campaigns', [{ property: 'status', operator: 'EQ', value: 'active' }]);
      ctx.skip(active.results.length === 0, 'the fixture has no active campaign');
      const id = active.results[0]!.id;
      const plan = await connector.plan({ object: 'campaigns', operation: 'pause', target: id });
      expect(plan.records).toEqual([
        expect.objectContaining({ id, after: { status: 'paused' }, reversibility: 'compensatable', noop: false }),
      ]);
      expect((await connector.apply(plan, ctxFor())).type).toBe('applied');
      const again = await connector.plan({ object: 'campaigns', operation: 'pause', target: id });
      expect(again.records[0]?.noop).toBe(true);
      expect((await connector.plan({ object: 'campaigns', operation: 'pause', target: 'no-such-id' })).missing).toEqual(
        ['no-such-id'],
      );
    });

    it('enrolling contacts in a sequence is compensatable and written on the contacts', async (ctx) => {
      supports(ctx, 'sequences', 'enroll');
      const { connector } = h();
      const sequences = await searchAll(connector, 'sequences', [
        { property: 'active', operator: 'EQ', value: 'true' },
      ]);
      ctx.skip(sequences.results.length === 0, 'the fixture has no active sequence');
      const seq = sequences.results[0]!.id;
      const contacts = (await connector.list('contacts', { limit: 2 })).results.map((r) => r.id);
      const plan = await connector.plan({
        object: 'sequences',
        operation: 'enroll',
        target: seq,
        params: { contact_ids: [...contacts, 'no-such-id'] },
      });
      expect(plan.missing).toEqual(['no-such-id']);
      expect(plan.records.map((r) => [r.object, r.id, r.reversibility])).toEqual(
        contacts.map((id) => ['contacts', id, 'compensatable']),
      );
      expect((await connector.apply(plan, ctxFor())).type).toBe('applied');
      for (const id of contacts)
        expect((await connector.get('contacts', id))?.properties['hs_latest_sequence_enrolled']).toBe(seq);
    });
  });
}
