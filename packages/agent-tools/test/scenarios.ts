/**
 * The tasks the scripted models perform, shared by the AI SDK and OpenAI Agents SDK loops.
 */
import type { Script, ToolEvent } from './script.js';

const last = (h: readonly ToolEvent[], name: string) => [...h].reverse().find((e) => e.name === name);

/**
 * lead-router: read the in-scope contacts, reassign the first one's owner (allowed), then try
 * to set its lifecycle stage (outside the grant), then report what happened.
 */
export function leadRouterScript(opts: { newOwnerFor: (current: string | null) => string }): Script {
  return (h) => {
    const list = last(h, 'gatehouse_list_records');
    if (!list) return { calls: [{ name: 'gatehouse_list_records', input: { object: 'contacts', limit: 3 } }] };
    const first = (list.output as { results: { id: string; properties: Record<string, string | null> }[] }).results[0]!;
    const route = last(h, 'gatehouse_update_records');
    if (!route) {
      return {
        calls: [
          {
            name: 'gatehouse_update_records',
            input: {
              object: 'contacts',
              records: [
                {
                  id: first.id,
                  changes: [{ field: 'owner_id', value: opts.newOwnerFor(first.properties.owner_id ?? null) }],
                },
              ],
              reason: 'Territory rule: North America',
            },
          },
        ],
      };
    }
    const updates = h.filter((e) => e.name === 'gatehouse_update_records');
    if (updates.length === 1) {
      return {
        calls: [
          {
            name: 'gatehouse_update_records',
            input: {
              object: 'contacts',
              records: [{ id: first.id, changes: [{ field: 'lifecyclestage', value: 'customer' }] }],
              reason: 'Looks sales-ready',
              // A model cannot talk its way past the gate: unknown keys are dropped.
              confirmed: true,
            },
          },
        ],
      };
    }
    const [routed, staged] = updates.map((u) => u.output as { status: string; error?: { code: string } });
    return { text: `routed: ${routed?.status}; lifecyclestage: ${staged?.status} (${staged?.error?.code ?? '-'})` };
  };
}
