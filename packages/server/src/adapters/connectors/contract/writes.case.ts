import { describe, expect, it } from 'vitest';
import type { CrmRecord } from '../../../core/ports/connector.js';
import { AGENT, OPERATOR, PERSON, SECOND, ctxFor, expectCode, write, type ConnectorHarness } from './kit.case.js';

/** Writes: plan, apply (stale detection, idempotency, history), revert, history order, changes(). */
export function describeWrites(h: () => ConnectorHarness) {
  const two = async (): Promise<[CrmRecord, CrmRecord]> => {
    const [a, b] = (await h().connector.list('contacts', { limit: 2 })).results;
    return [a!, b!];
  };

  describe('plan', () => {
    it('shows before/after of the touched properties, missing ids, no-ops and reversibility; writes nothing', async () => {
      const { connector } = h();
      const [a, b] = await two();
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [
          { id: a.id, changes: { city: 'Planned City', country: a.properties['country'] ?? null } },
          { id: b.id, changes: { city: b.properties['city'] ?? null } },
          { id: 'no-such-id', changes: { city: 'x' } },
        ],
      });
      expect(plan).toMatchObject({ object: 'contacts', operation: 'update', missing: ['no-such-id'], invalid: [] });
      const [pa, pb] = plan.records;
      expect(pa).toMatchObject({
        object: 'contacts',
        id: a.id,
        before: { city: a.properties['city'] ?? null, country: a.properties['country'] ?? null },
        after: { city: 'Planned City', country: a.properties['country'] ?? null },
        reversibility: 'reversible',
        noop: false,
      });
      expect(pa!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(pb).toMatchObject({ id: b.id, noop: true });
      expect(await connector.get('contacts', a.id)).toEqual(a);
    });

    it('fingerprints the whole record: unchanged record, same fingerprint; any change, a new one', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      const planOf = async () =>
        (
          await connector.plan({
            object: 'contacts',
            operation: 'update',
            records: [{ id: a.id, changes: { city: 'Fp' } }],
          })
        ).records[0]!.fingerprint;
      const before = await planOf();
      expect(await planOf()).toBe(before);
      clock.advance(SECOND);
      await write(connector, 'contacts', a.id, { jobtitle: 'Changed Elsewhere' }, PERSON);
      expect(await planOf()).not.toBe(before);
    });

    it('plans records passed as read by getMany as they were read, so a change since is stale at apply', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      const req = { object: 'contacts', operation: 'update', records: [{ id: a.id, changes: { city: 'As Read' } }] };
      const asRead = await connector.plan(req);
      const read = await connector.getMany('contacts', [a.id]);
      clock.advance(SECOND);
      await write(connector, 'contacts', a.id, { city: 'Moved Since' }, PERSON);

      const plan = await connector.plan(req, read);
      expect(plan.records[0]).toMatchObject({ before: { city: a.properties['city'] ?? null } });
      expect(plan.records[0]!.fingerprint).toBe(asRead.records[0]!.fingerprint);
      expect((await connector.apply(plan, ctxFor())).type).toBe('stale');
      // Without `read` (or for a record not in it) the plan reads the record now.
      expect((await connector.plan(req)).records[0]).toMatchObject({ before: { city: 'Moved Since' } });
      expect((await connector.plan(req, new Map())).records[0]).toMatchObject({ before: { city: 'Moved Since' } });
      // A read record filed under another id (or object) is not taken for the one requested.
      const [, b] = await two();
      const foreign = new Map([[a.id, (await connector.getMany('contacts', [b.id])).get(b.id)!]]);
      expect((await connector.plan(req, foreign)).records[0]).toMatchObject({
        id: a.id,
        before: { city: 'Moved Since' },
      });
    });

    it('lists values the CRM would refuse; such a plan is not applied', async () => {
      const { connector } = h();
      const [a] = await two();
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [{ id: a.id, changes: { lifecyclestage: 'not-a-stage', lead_score: 'many' } }],
      });
      expect(plan.invalid.map((i) => i.property).sort()).toEqual(['lead_score', 'lifecyclestage']);
      const result = await connector.apply(plan, ctxFor());
      expect(result).toMatchObject({ type: 'failed', code: 'invalid_plan', retryable: false });
      expect(await connector.get('contacts', a.id)).toEqual(a);
    });
  });

  describe('apply', () => {
    it('writes the changes with history (value, time, source, actor)', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      clock.advance(SECOND);
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [{ id: a.id, changes: { city: 'Applied City' } }],
      });
      const result = await connector.apply(plan, ctxFor());
      expect(result).toEqual({
        type: 'applied',
        appliedAt: clock.now().toISOString(),
        records: [{ id: a.id }],
        replayed: false,
      });
      const now = await connector.get('contacts', a.id);
      expect(now?.properties['city']).toBe('Applied City');
      expect(now?.updatedAt).toBe(clock.now().toISOString());
      const [latest] = await connector.history('contacts', a.id, 'city');
      expect(latest).toEqual({
        object: 'contacts',
        id: a.id,
        property: 'city',
        value: 'Applied City',
        timestamp: clock.now().toISOString(),
        source: 'gatehouse',
        actor: AGENT,
      });
    });

    it('a plan whose records changed since planning is stale: nothing is written', async () => {
      const { connector, clock } = h();
      const [a, b] = await two();
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [
          { id: a.id, changes: { city: 'Stale A' } },
          { id: b.id, changes: { city: 'Stale B' } },
        ],
      });
      clock.advance(SECOND);
      await write(connector, 'contacts', b.id, { jobtitle: 'Someone else was here' }, PERSON);
      const result = await connector.apply(plan, ctxFor());
      expect(result.type).toBe('stale');
      if (result.type !== 'stale') return;
      expect(result.stale).toEqual([
        { id: b.id, expected: plan.records[1]!.fingerprint, actual: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]);
      expect((await connector.get('contacts', a.id))?.properties['city']).toBe(a.properties['city']);
      expect((await connector.get('contacts', b.id))?.properties['city']).toBe(b.properties['city']);
      // Re-planned against the current world, it applies.
      const fresh = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [{ id: b.id, changes: { city: 'Stale B' } }],
      });
      expect((await connector.apply(fresh, ctxFor())).type).toBe('applied');
    });

    it('the same idempotency key replays the stored result and writes nothing; a different plan under it is refused', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      const ctx = ctxFor();
      const plan = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [{ id: a.id, changes: { city: 'Once' } }],
      });
      const first = await connector.apply(plan, ctx);
      const historyAfterFirst = await connector.history('contacts', a.id);
      clock.advance(SECOND);
      const again = await connector.apply(plan, ctx);
      expect(again).toEqual({ ...first, replayed: true });
      expect(await connector.history('contacts', a.id)).toEqual(historyAfterFirst);
      const other = await connector.plan({
        object: 'contacts',
        operation: 'update',
        records: [{ id: a.id, changes: { city: 'Twice' } }],
      });
      expect(await connector.apply(other, ctx)).toMatchObject({
        type: 'failed',
        code: 'idempotency_key_reused',
        retryable: false,
      });
      expect((await connector.get('contacts', a.id))?.properties['city']).toBe('Once');
    });
  });

  describe('revert', () => {
    it('restores what the agent overwrote, once; a second revert is already_restored', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      clock.advance(SECOND);
      const appliedAt = await write(connector, 'contacts', a.id, { city: 'Agent City' });
      clock.advance(SECOND);
      const item = {
        object: 'contacts',
        id: a.id,
        property: 'city',
        wrote: 'Agent City',
        restore: a.properties['city'] ?? null,
        appliedAt,
      };
      expect(await connector.revert([item], ctxFor(OPERATOR))).toEqual([
        { id: a.id, property: 'city', type: 'restored' },
      ]);
      expect((await connector.get('contacts', a.id))?.properties['city']).toBe(a.properties['city']);
      const [latest] = await connector.history('contacts', a.id, 'city');
      expect(latest).toMatchObject({ value: a.properties['city'] ?? null, source: 'rollback', actor: OPERATOR });
      clock.advance(SECOND);
      expect(await connector.revert([item], ctxFor(OPERATOR))).toEqual([
        { id: a.id, property: 'city', type: 'already_restored' },
      ]);
    });

    it('refuses to overwrite a later change by someone else and names who and when', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      clock.advance(SECOND);
      const appliedAt = await write(connector, 'contacts', a.id, { city: 'Agent City' });
      clock.advance(SECOND);
      const personAt = await write(connector, 'contacts', a.id, { city: 'Person City' }, PERSON);
      const outcome = await connector.revert(
        [
          {
            object: 'contacts',
            id: a.id,
            property: 'city',
            wrote: 'Agent City',
            restore: a.properties['city'] ?? null,
            appliedAt,
          },
        ],
        ctxFor(OPERATOR),
      );
      expect(outcome).toEqual([
        {
          id: a.id,
          property: 'city',
          type: 'conflict',
          current: 'Person City',
          changedBy: PERSON,
          changedAt: personAt,
        },
      ]);
      expect((await connector.get('contacts', a.id))?.properties['city']).toBe('Person City');
    });

    it('a later change by someone else is a conflict even if they put the agent’s value back', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      clock.advance(SECOND);
      const appliedAt = await write(connector, 'contacts', a.id, { city: 'Agent City' });
      clock.advance(SECOND);
      await write(connector, 'contacts', a.id, { city: 'Person City' }, PERSON);
      clock.advance(SECOND);
      const backAt = await write(connector, 'contacts', a.id, { city: 'Agent City' }, PERSON);
      const [outcome] = await connector.revert(
        [
          {
            object: 'contacts',
            id: a.id,
            property: 'city',
            wrote: 'Agent City',
            restore: a.properties['city'] ?? null,
            appliedAt,
          },
        ],
        ctxFor(OPERATOR),
      );
      expect(outcome).toEqual({
        id: a.id,
        property: 'city',
        type: 'conflict',
        current: 'Agent City',
        changedBy: PERSON,
        changedAt: backAt,
      });
    });

    it('undoes one agent’s successive writes newest first, and reports missing records', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      const original = a.properties['city'] ?? null;
      clock.advance(SECOND);
      const t1 = await write(connector, 'contacts', a.id, { city: 'First' });
      clock.advance(SECOND);
      const t2 = await write(connector, 'contacts', a.id, { city: 'Second' });
      clock.advance(SECOND);
      const outcome = await connector.revert(
        [
          { object: 'contacts', id: a.id, property: 'city', wrote: 'Second', restore: 'First', appliedAt: t2 },
          { object: 'contacts', id: a.id, property: 'city', wrote: 'First', restore: original, appliedAt: t1 },
          { object: 'contacts', id: 'no-such-id', property: 'city', wrote: 'x', restore: null, appliedAt: t1 },
        ],
        ctxFor(OPERATOR),
      );
      expect(outcome.map((o) => o.type)).toEqual(['restored', 'restored', 'missing']);
      expect((await connector.get('contacts', a.id))?.properties['city']).toBe(original);
    });
  });

  describe('history and changes', () => {
    it('history is newest first and ends with the initial value', async () => {
      const { connector, clock } = h();
      const [a] = await two();
      for (const city of ['H1', 'H2', 'H3']) {
        clock.advance(SECOND);
        await write(connector, 'contacts', a.id, { city });
      }
      const entries = await connector.history('contacts', a.id, 'city');
      expect(entries.slice(0, 3).map((e) => e.value)).toEqual(['H3', 'H2', 'H1']);
      const times = entries.map((e) => e.timestamp);
      expect(times).toEqual([...times].sort().reverse());
      if (a.properties['city'] !== null) expect(entries[3]?.value).toBe(a.properties['city']);
      const everything = await connector.history('contacts', a.id);
      expect(
        everything
          .filter((e) => e.property === 'city')
          .slice(0, 3)
          .map((e) => e.value),
      ).toEqual(['H3', 'H2', 'H1']);
      expect(everything.map((e) => e.timestamp)).toEqual(
        everything
          .map((e) => e.timestamp)
          .sort()
          .reverse(),
      );
    });

    it('changes() selects writes by period, object and actor kind, oldest first, paging exactly once', async () => {
      const { connector, clock } = h();
      const [a, b] = await two();
      clock.advance(SECOND);
      const from = clock.now().toISOString();
      const agentAt = await write(connector, 'contacts', a.id, { city: 'By Agent' });
      clock.advance(SECOND);
      const personAt = await write(connector, 'contacts', b.id, { city: 'By Person' }, PERSON);
      clock.advance(SECOND);
      const to = clock.now().toISOString();

      const all = await connector.changes({ from, to, limit: 100 });
      const cities = all.results.filter((e) => e.property === 'city');
      expect(cities.map((e) => [e.id, e.value, e.timestamp, e.actor.kind])).toEqual([
        [a.id, 'By Agent', agentAt, 'agent'],
        [b.id, 'By Person', personAt, 'person'],
      ]);
      const people = await connector.changes({ from, to, actorKinds: ['person'], limit: 100 });
      expect(people.results.length).toBeGreaterThan(0);
      expect(people.results.every((e) => e.actor.kind === 'person' && e.id === b.id)).toBe(true);
      const beforePerson = await connector.changes({ from, to: personAt, limit: 100 });
      expect(beforePerson.results.every((e) => e.id === a.id)).toBe(true);
      expect((await connector.changes({ from, to, object: 'companies', limit: 100 })).results).toEqual([]);

      const paged: string[] = [];
      let after: string | undefined;
      do {
        const page = await connector.changes({ from, to, limit: 1, ...(after ? { after } : {}) });
        paged.push(...page.results.map((e) => `${e.id}:${e.property}:${e.timestamp}`));
        after = page.nextAfter;
      } while (after);
      expect(paged).toEqual(all.results.map((e) => `${e.id}:${e.property}:${e.timestamp}`));
      await expectCode(connector.changes({ from, to, limit: 1, after: 'garbage!' }), 'invalid_cursor');
    });
  });
}
