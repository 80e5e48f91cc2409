import { describe, expect, it } from 'vitest';
import { parseReplicaFilter, replicaConfig, selectionFrom } from '../../src/cli/commands/replica.js';
import { configOrThrow, loadConfigFromString } from '../../src/config/index.js';
import { exampleConfigText } from '../helpers/gatehouse.js';

describe('replica --filter', () => {
  it('reads the shorthand operators, several values, object prefixes and the API form', () => {
    expect(parseReplicaFilter('country=US')).toEqual({ filter: { property: 'country', operator: 'EQ', value: 'US' } });
    expect(parseReplicaFilter('contacts.country=US|CA')).toEqual({
      object: 'contacts',
      filter: { property: 'country', operator: 'IN', values: ['US', 'CA'] },
    });
    expect(parseReplicaFilter('lifecyclestage != customer').filter).toEqual({
      property: 'lifecyclestage',
      operator: 'NEQ',
      value: 'customer',
    });
    expect(parseReplicaFilter('country!=US|CA').filter.operator).toBe('NOT_IN');
    expect(parseReplicaFilter('lead_score>=60').filter).toEqual({
      property: 'lead_score',
      operator: 'GTE',
      value: '60',
    });
    expect(parseReplicaFilter('lead_score<10').filter.operator).toBe('LT');
    expect(parseReplicaFilter('email:CONTAINS_TOKEN:*@example.com').filter).toEqual({
      property: 'email',
      operator: 'CONTAINS_TOKEN',
      value: '*@example.com',
    });
    expect(parseReplicaFilter('contacts.phone:HAS_PROPERTY')).toEqual({
      object: 'contacts',
      filter: { property: 'phone', operator: 'HAS_PROPERTY' },
    });
    expect(() => parseReplicaFilter('country')).toThrow(/OPERATOR/);
  });

  it('applies unprefixed filters to every --object and refuses them without one', () => {
    expect(selectionFrom(['contacts', 'companies'], ['country=US', 'contacts.lead_score>50'])).toEqual({
      objects: ['contacts', 'companies'],
      filters: {
        contacts: [
          { property: 'country', operator: 'EQ', value: 'US' },
          { property: 'lead_score', operator: 'GT', value: '50' },
        ],
        companies: [{ property: 'country', operator: 'EQ', value: 'US' }],
      },
    });
    expect(selectionFrom([], [])).toEqual({ objects: [], filters: {} });
    expect(() => selectionFrom([], ['country=US'])).toThrow(/--object/);
    // A prefixed filter on an object not listed adds that object.
    expect(selectionFrom(['companies'], ['contacts.country=US']).objects).toEqual(['companies', 'contacts']);
  });
});

describe('replica name checks', () => {
  const config = configOrThrow(
    loadConfigFromString(
      exampleConfigText({ dir: '/tmp/x' }).replace('\npeople:', '\n  crm-us: { type: replica, from: crm }\n\npeople:'),
      'gatehouse.yaml',
      { HOOK_SECRET: 'x' },
    ),
  );
  it('accepts a replica of the named source and explains every mismatch', () => {
    expect(replicaConfig(config, 'crm-us', 'crm')).toMatchObject({ id: 'crm-us', type: 'replica', from: 'crm' });
    expect(() => replicaConfig(config, 'nope', 'crm')).toThrow(
      /add it under connectors:[\s\S]*type: replica[\s\S]*from: crm/,
    );
    expect(() => replicaConfig(config, 'crm', 'crm')).toThrow(/has type sandbox, not replica/);
    expect(() => replicaConfig(config, 'crm-us', 'other')).toThrow(/use --from crm/);
  });
});
