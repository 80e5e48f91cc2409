/** Shared by the sandbox's own tests: a small seed size, an apply context and a one-field update. */
import type { ApplyContext } from '../../../core/ports/connector.js';

export const SMALL = { contacts: 60, companies: 10, deals: 15 };

export const ctx = (key: string): ApplyContext => ({
  idempotencyKey: key,
  actor: { kind: 'agent', id: 'a' },
  source: 'test',
});

/** A change request setting `city` on one contact. */
export const update = (id: string, city: string) => ({
  object: 'contacts',
  operation: 'update',
  records: [{ id, changes: { city } }],
});
