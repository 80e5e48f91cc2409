import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Filter, FilterOperator, PropertyHistoryEntry, PropertySchema } from '../../../core/ports/connector.js';
import { PERSON, expectCode, filterMatches, listAll, searchAll, write, type ConnectorHarness } from './kit.case.js';

/** Reads: schema, list/get/getMany, cursor paging, search filters and sorts, error codes. */
export function describeReads(h: () => ConnectorHarness, opts: { readonly writable?: boolean } = {}) {
  const writable = opts.writable ?? true;
  const contactSchema = () => {
    const schema = h()
      .connector.schema()
      .find((o) => o.name === 'contacts');
    if (!schema) throw new Error('the contract needs a contacts object');
    return schema;
  };
  const prop = (name: string): PropertySchema => {
    const p = contactSchema().properties.find((x) => x.name === name);
    if (!p) throw new Error(`the contract needs contacts.${name}`);
    return p;
  };

  describe('schema', () => {
    it('describes contacts with HubSpot-style properties, unique names and enumeration options', () => {
      const schema = contactSchema();
      expect(schema.operations).toEqual(expect.arrayContaining(['read', 'update']));
      const names = schema.properties.map((p) => p.name);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(expect.arrayContaining(['email', 'firstname', 'country', 'lifecyclestage', 'lead_score']));
      expect(prop('email').pii).toBe(true);
      for (const p of schema.properties.filter((x) => x.type === 'enumeration'))
        expect(p.options?.length).toBeGreaterThan(0);
    });
  });

  describe('list, get, getMany', () => {
    it('pages with an opaque cursor, omits it on the last page, and projects properties on request', async () => {
      const { connector } = h();
      const first = await connector.list('contacts', { limit: 5 });
      expect(first.results).toHaveLength(5);
      expect(first.nextAfter).toEqual(expect.any(String));
      for (const r of first.results) {
        expect(r).toMatchObject({
          id: expect.any(String),
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        });
        for (const v of Object.values(r.properties)) expect(v === null || typeof v === 'string').toBe(true);
      }
      const all = await listAll(connector, 'contacts', 1000);
      const last = await connector.list('contacts', { limit: all.length });
      expect(last.nextAfter).toBeUndefined();
      const projected = await connector.list('contacts', { limit: 3, properties: ['email', 'country'] });
      for (const r of projected.results) expect(Object.keys(r.properties).sort()).toEqual(['country', 'email']);
    });

    it('get and getMany return what list returns; unknown ids are absent, not errors', async () => {
      const { connector } = h();
      const [a, b] = (await connector.list('contacts', { limit: 2 })).results;
      expect(await connector.get('contacts', a!.id)).toEqual(a);
      expect(await connector.get('contacts', 'no-such-id')).toBeUndefined();
      const many = await connector.getMany('contacts', [a!.id, 'no-such-id', b!.id]);
      expect([...many.keys()].sort()).toEqual([a!.id, b!.id].sort());
      expect(many.get(b!.id)).toEqual(b);
    });

    it.skipIf(!writable)(
      'paging returns every record exactly once while records are updated between pages',
      async () => {
        const { connector, clock } = h();
        const everyone = (await listAll(connector, 'contacts', 1000)).map((r) => r.id);
        expect(everyone.length).toBeGreaterThanOrEqual(25);
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 13 }),
            fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
            async (limit, picks) => {
              const seen: string[] = [];
              let after: string | undefined;
              let step = 0;
              do {
                const page = await connector.list('contacts', { limit, ...(after ? { after } : {}) });
                seen.push(...page.results.map((r) => r.id));
                after = page.nextAfter;
                // Another writer touches records already served and records still to come.
                const pick = picks[step++ % picks.length]!;
                clock.advance(1000);
                await write(connector, 'contacts', everyone[pick % everyone.length]!, { city: `Paging ${step}` });
                await write(connector, 'contacts', everyone[everyone.length - 1 - (pick % everyone.length)]!, {
                  city: `Paging ${step}b`,
                });
              } while (after);
              expect(seen).toHaveLength(new Set(seen).size);
              expect([...seen].sort()).toEqual([...everyone].sort());
            },
          ),
          { numRuns: 8 },
        );
      },
    );
  });

  describe('search', () => {
    const FILTERABLE = ['country', 'lifecyclestage', 'lead_score', 'city', 'hs_email_optout', 'owner_id', 'email'];
    const OPERATORS: FilterOperator[] = [
      'EQ',
      'NEQ',
      'LT',
      'LTE',
      'GT',
      'GTE',
      'IN',
      'NOT_IN',
      'HAS_PROPERTY',
      'NOT_HAS_PROPERTY',
    ];

    it('matches the reference filter semantics for every operator (property-based)', async () => {
      const { connector } = h();
      const all = await listAll(connector, 'contacts', 1000);
      const valuesOf = (name: string) => [
        ...new Set(all.map((r) => r.properties[name]).filter((v): v is string => !!v)),
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...FILTERABLE),
          fc.constantFrom(...OPERATORS),
          fc.nat(),
          fc.nat(),
          async (property, operator, i, j) => {
            const values = valuesOf(property);
            const pick = (k: number) => values[k % values.length] ?? '0';
            const filter: Filter = operator.endsWith('IN')
              ? { property, operator, values: [pick(i), pick(j)] }
              : { property, operator, value: pick(i) };
            const got = await searchAll(connector, 'contacts', [filter], 7);
            const want = all
              .filter((r) => filterMatches(prop(property), filter, r.properties[property] ?? null))
              .map((r) => r.id);
            expect(got.results.map((r) => r.id).sort()).toEqual([...want].sort());
            expect(got.total).toBe(want.length);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('matches the reference semantics for every property and operator on the first, a middle and a missing value', async () => {
      const { connector } = h();
      const all = await listAll(connector, 'contacts', 1000);
      for (const property of FILTERABLE) {
        const values = [...new Set(all.map((r) => r.properties[property]).filter((v): v is string => !!v))].sort();
        const probes = [
          values[0] ?? '1',
          values[Math.floor(values.length / 2)] ?? '1',
          prop(property).type === 'number' ? '-1' : 'ZZ-none',
        ];
        for (const value of probes) {
          for (const operator of OPERATORS) {
            const filter: Filter = operator.endsWith('IN')
              ? { property, operator, values: [value] }
              : { property, operator, value };
            const got = await searchAll(connector, 'contacts', [filter], 100);
            const want = all
              .filter((r) => filterMatches(prop(property), filter, r.properties[property] ?? null))
              .map((r) => r.id);
            expect(got.results.map((r) => r.id).sort(), JSON.stringify(filter)).toEqual([...want].sort());
          }
        }
      }
    });

    it('string comparisons ignore case', async () => {
      const { connector } = h();
      const [first] = (await connector.list('contacts', { limit: 1 })).results;
      const email = first!.properties['email']!;
      const found = await searchAll(connector, 'contacts', [
        { property: 'email', operator: 'EQ', value: email.toUpperCase() },
      ]);
      expect(found.results.map((r) => r.id)).toContain(first!.id);
    });

    it('combines filters with AND, matches tokens and wildcards, sorts with unset values last', async () => {
      const { connector } = h();
      const all = await listAll(connector, 'contacts', 1000);
      const sample = all.find((r) => r.properties['email']?.includes('@'))!;
      const domain = sample.properties['email']!.split('@')[1]!;
      const byDomain = await searchAll(connector, 'contacts', [
        { property: 'email', operator: 'CONTAINS_TOKEN', value: `*@${domain}` },
      ]);
      expect(byDomain.results.map((r) => r.id)).toContain(sample.id);
      expect(byDomain.results.every((r) => r.properties['email']!.toLowerCase().endsWith(`@${domain}`))).toBe(true);

      const country = sample.properties['country']!;
      const both = await searchAll(connector, 'contacts', [
        { property: 'country', operator: 'EQ', value: country },
        { property: 'lead_score', operator: 'GTE', value: '30' },
      ]);
      const want = all.filter((r) => r.properties['country'] === country && Number(r.properties['lead_score']) >= 30);
      expect(both.results.map((r) => r.id).sort()).toEqual(want.map((r) => r.id).sort());

      const sorted: string[] = [];
      let after: string | undefined;
      do {
        const page = await connector.search('contacts', {
          filters: [],
          limit: 9,
          sorts: [{ property: 'lead_score', direction: 'DESCENDING' }],
          ...(after ? { after } : {}),
        });
        sorted.push(...page.results.map((r) => r.properties['lead_score'] ?? ''));
        after = page.nextAfter;
      } while (after);
      expect(sorted).toHaveLength(all.length);
      const numbers = sorted.filter((v) => v !== '').map(Number);
      expect(numbers).toEqual([...numbers].sort((x, y) => y - x));
    });
  });

  describe('history reads', () => {
    it('changes() over the seeded history: filters by actor kind and object, oldest first, pages exactly once', async () => {
      const { connector } = h();
      const span = { from: '1970-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' };
      const first = await connector.changes({ ...span, object: 'contacts', limit: 50 });
      expect(first.results.length).toBeGreaterThan(0);
      const kinds = [...new Set(first.results.map((e) => e.actor.kind))];
      const pageThrough = async (actorKinds?: ('agent' | 'person' | 'integration' | 'system')[]) => {
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await connector.changes({
            ...span,
            object: 'contacts',
            limit: 97,
            ...(actorKinds ? { actorKinds } : {}),
            ...(after ? { after } : {}),
          });
          for (const e of page.results) {
            expect(e.object).toBe('contacts');
            if (actorKinds) expect(actorKinds).toContain(e.actor.kind);
            seen.push(`${e.timestamp}|${e.id}|${e.property}|${e.value}`);
          }
          after = page.nextAfter;
          pages++;
        } while (after && pages < 200);
        expect(after, 'the contract harness should hold under 200 pages of contact history').toBeUndefined();
        return seen;
      };
      const everything = await pageThrough();
      expect(everything).toEqual([...everything].sort((a, b) => a.split('|')[0]!.localeCompare(b.split('|')[0]!)));
      const byKind = await pageThrough([kinds[0]!]);
      expect(byKind.length).toBeGreaterThan(0);
      expect(byKind.length).toBeLessThanOrEqual(everything.length);
      expect(await connector.changes({ ...span, actorKinds: [], limit: 10 })).toEqual({ results: [] });
      // Every record's history() agrees with changes() for that record.
      const id = first.results[0]!.id;
      const history = await connector.history('contacts', id);
      const fromChanges = everything.filter((k) => k.split('|')[1] === id);
      expect(history.length).toBe(fromChanges.length);
    });

    it('changes() pages every entry exactly once, in order, across timestamp ties and actor-kind mixes', async () => {
      const { connector, clock } = h();
      const span = { from: '1970-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' };
      type Kind = 'agent' | 'person' | 'integration' | 'system';
      if (writable) {
        // Ties by construction: several properties per write, and an agent's and a person's
        // writes at one instant, so pages split tie groups and kinds interleave within a tie.
        const [a, b] = (await connector.list('contacts', { limit: 2 })).results;
        clock.advance(1000);
        await write(connector, 'contacts', a!.id, { city: 'Tie A', jobtitle: 'Tie A', lead_score: '11' });
        await write(connector, 'contacts', b!.id, { city: 'Tie B', jobtitle: 'Tie B' }, PERSON);
        await write(connector, 'contacts', a!.id, { city: 'Tie A2', jobtitle: 'Tie A2' });
        await write(connector, 'contacts', b!.id, { city: 'Tie B2', lead_score: '12' }, PERSON);
      }
      const key = (e: PropertyHistoryEntry) =>
        `${e.timestamp}|${e.actor.kind}|${e.object}|${e.id}|${e.property}|${String(e.value)}`;
      const walk = async (limit: number, opts: { actorKinds?: Kind[]; object?: string } = {}) => {
        const seen: string[] = [];
        const boundaries: [string, string][] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await connector.changes({ ...span, ...opts, limit, ...(after ? { after } : {}) });
          expect(page.results.length).toBeLessThanOrEqual(limit);
          const previous = seen[seen.length - 1];
          const next = page.results[0];
          if (previous !== undefined && next) boundaries.push([previous.split('|')[0]!, next.timestamp]);
          seen.push(...page.results.map(key));
          after = page.nextAfter;
          pages++;
        } while (after && pages < 400);
        expect(after, 'the contract harness should hold under 400 pages of history').toBeUndefined();
        return { seen, boundaries };
      };
      const reference = (await walk(1000)).seen;
      const stamps = reference.map((k) => k.split('|')[0]!);
      expect(stamps).toEqual([...stamps].sort());
      const tied = new Set(stamps).size < stamps.length;
      if (writable) expect(tied, 'several properties written at one instant share a timestamp').toBe(true);
      const limit = Math.max(3, Math.ceil(reference.length / 150));
      const small = await walk(limit);
      expect(small.seen).toEqual(reference);
      if (tied) expect(small.boundaries.some(([last, first]) => last === first)).toBe(true);

      const kindOf = (k: string) => k.split('|')[1] as Kind;
      const kinds = [...new Set(reference.map(kindOf))];
      const subsets: Kind[][] = [kinds, ...kinds.map((k) => [k])];
      if (kinds.length > 2) subsets.push(kinds.slice(0, 2));
      for (const actorKinds of subsets) {
        const expected = reference.filter((k) => actorKinds.includes(kindOf(k)));
        expect((await walk(limit, { actorKinds })).seen, `actorKinds ${actorKinds.join(',')}`).toEqual(expected);
        expect(
          (await walk(limit, { actorKinds, object: 'contacts' })).seen,
          `contacts, actorKinds ${actorKinds.join(',')}`,
        ).toEqual(expected.filter((k) => k.split('|')[2] === 'contacts'));
      }
    });
  });

  describe('errors', () => {
    it('unknown objects, properties, operations, malformed cursors and filters have stable codes', async () => {
      const { connector } = h();
      await expectCode(connector.list('no_such_object', { limit: 1 }), 'unknown_object');
      await expectCode(connector.get('no_such_object', 'x'), 'unknown_object');
      await expectCode(connector.search('no_such_object', { filters: [], limit: 1 }), 'unknown_object');
      await expectCode(
        connector.plan({ object: 'no_such_object', operation: 'update', records: [] }),
        'unknown_object',
      );
      await expectCode(connector.list('contacts', { limit: 1, properties: ['no_such_property'] }), 'unknown_property');
      await expectCode(
        connector.search('contacts', {
          filters: [{ property: 'no_such_property', operator: 'EQ', value: 'x' }],
          limit: 1,
        }),
        'unknown_property',
      );
      const [first] = (await connector.list('contacts', { limit: 1 })).results;
      await expectCode(
        connector.plan({
          object: 'contacts',
          operation: 'update',
          records: [{ id: first!.id, changes: { no_such_property: 'x' } }],
        }),
        'unknown_property',
      );
      await expectCode(
        connector.plan({ object: 'contacts', operation: 'launch', target: first!.id }),
        'unsupported_operation',
      );
      await expectCode(connector.list('contacts', { limit: 1, after: 'not a cursor!' }), 'invalid_cursor');
      await expectCode(
        connector.list('contacts', { limit: 1, after: Buffer.from('{"x":1}').toString('base64url') }),
        'invalid_cursor',
      );
      await expectCode(connector.search('contacts', { filters: [], limit: 1, after: 'bm9wZQ' }), 'invalid_cursor');
      await expectCode(
        connector.search('contacts', { filters: [{ property: 'country', operator: 'IN', values: [] }], limit: 1 }),
        'invalid_filter',
      );
      await expectCode(
        connector.search('contacts', {
          filters: [{ property: 'lead_score', operator: 'GT', value: 'lots' }],
          limit: 1,
        }),
        'invalid_filter',
      );
      await expectCode(
        connector.search('contacts', { filters: [{ property: 'country', operator: 'EQ' }], limit: 1 }),
        'invalid_filter',
      );
    });
  });
}
