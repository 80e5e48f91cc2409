/**
 * lead-router: assigns contact owners by territory rules, as an AI SDK agent whose tools are
 * Gatehouse operations (`@gatehouse/agent-tools/ai`). Its grant lets it read North American
 * contacts and write `owner_id` only; Gatehouse enforces that, not this code.
 *
 * The model is any AI SDK model (e.g. from `OPENAI_BASE_URL`), or the scripted one: it lists
 * contacts, applies the rules and routes each contact whose owner differs. With `overreach` the
 * scripted model also does what careless models do (sets a field outside its grant, routes an
 * inbound lead from outside its territory) so you can watch Gatehouse refuse.
 */
import type { GatehouseClient } from '@gatehouse/sdk';
import { gatehouseTools, type ActionOutcome, type ToolError } from '@gatehouse/agent-tools/ai';
import { generateText, stepCountIs, type LanguageModel } from 'ai';
import { scriptedModel, type Script, type ToolEvent } from '../scripted-model.js';
import { DEFAULT_RULES, describeRules, ruleFor, type ContactLike, type TerritoryRule } from './rules.js';

export { DEFAULT_RULES, describeRules, ruleFor, type TerritoryRule } from './rules.js';

export interface LeadRouterOptions {
  readonly connector?: string;
  readonly rules?: readonly TerritoryRule[];
  /** Contacts to look at. Default 5. */
  readonly limit?: number;
  /** Contact ids from an inbound queue (e.g. a form webhook) to route as well. */
  readonly inbound?: readonly string[];
  /** A language model; default: the scripted model. */
  readonly model?: LanguageModel;
  /** Scripted model only: also try a field outside the grant and the inbound leads, unread. */
  readonly overreach?: boolean;
  readonly maxSteps?: number;
}

export interface LeadRouterStep {
  /** What the agent tried, in words. */
  readonly what: string;
  /** Gatehouse's answer: an action outcome, or a request error (e.g. a malformed change). */
  readonly outcome: ActionOutcome | ToolError;
}

export interface LeadRouterResult {
  /** The model's final answer. */
  readonly text: string;
  /** The contacts the agent read (as Gatehouse showed them: in scope, PII masked). */
  readonly seen: readonly ContactLike[];
  /** Every write it attempted, with Gatehouse's answer. */
  readonly steps: readonly LeadRouterStep[];
}

const LIST = 'gatehouse_list_records';
const UPDATE = 'gatehouse_update_records';

interface UpdateInput {
  readonly records: readonly {
    readonly id: string;
    readonly changes: readonly { field: string; value: string | null }[];
  }[];
}

/** What an update tried, e.g. "route c_12 to u_7" or "set lifecyclestage on c_12". */
function describeUpdate(input: UpdateInput): string {
  const [r] = input.records;
  if (!r) return 'update nothing';
  const fields = r.changes.map((c) => c.field);
  const more = input.records.length > 1 ? ` (+${input.records.length - 1} more)` : '';
  if (fields.length === 1 && fields[0] === 'owner_id') return `route ${r.id} to ${String(r.changes[0]?.value)}${more}`;
  return `set ${fields.join(', ')} on ${r.id}${more}`;
}

/** The scripted model: list, route by the rules, then (with overreach) misbehave twice. */
export function leadRouterScript(opts: {
  rules: readonly TerritoryRule[];
  limit: number;
  inbound: readonly string[];
  overreach: boolean;
}): Script {
  const update = (id: string, field: string, value: string, reason: string) => ({
    name: UPDATE,
    input: { object: 'contacts', records: [{ id, changes: [{ field, value }] }], reason },
  });
  return (history: readonly ToolEvent[]) => {
    const listed = history.find((e) => e.name === LIST);
    if (!listed) return { calls: [{ name: LIST, input: { object: 'contacts', limit: opts.limit } }] };
    const contacts = ((listed.output as { results?: ContactLike[] }).results ?? []).slice(0, opts.limit);
    const writes = history.filter((e) => e.name === UPDATE).length;

    const routes = contacts.flatMap((c) => {
      const rule = ruleFor(c, opts.rules);
      return rule && rule.owner !== c.properties.owner_id
        ? [update(c.id, 'owner_id', rule.owner, `Territory rule: ${rule.name}`)]
        : [];
    });
    const hottest = [...contacts].sort((a, b) => Number(b.properties.lead_score) - Number(a.properties.lead_score))[0];
    const overreach = opts.overreach
      ? [
          ...(hottest
            ? [update(hottest.id, 'lifecyclestage', 'salesqualifiedlead', 'Lead score says sales-ready')]
            : []),
          ...opts.inbound.map((id) =>
            update(id, 'owner_id', opts.rules[0]?.owner ?? 'u_1', 'Inbound lead from the web form'),
          ),
        ]
      : [];
    // One write per turn, in a fixed order: routes, then the overreach.
    const plan = [...routes, ...overreach];
    const next = plan[writes];
    if (next) return { calls: [next] };
    const outcomes = history.filter((e) => e.name === UPDATE).map((e) => (e.output as { status: string }).status);
    const count = (s: string) => outcomes.filter((o) => o === s).length;
    return {
      text: `Looked at ${contacts.length} contacts; ${count('executed')} routed, ${count('pending_approval')} waiting for approval, ${count('denied') + count('error')} refused by Gatehouse.`,
    };
  };
}

export async function run(client: GatehouseClient, opts: LeadRouterOptions = {}): Promise<LeadRouterResult> {
  const rules = opts.rules ?? DEFAULT_RULES;
  const limit = opts.limit ?? 5;
  const inbound = opts.inbound ?? [];
  const model =
    opts.model ?? scriptedModel(leadRouterScript({ rules, limit, inbound, overreach: opts.overreach ?? false }));
  const tools = gatehouseTools(client, {
    connector: opts.connector ?? 'crm',
    objects: ['contacts'],
    operations: [],
    maxWaitSeconds: 0,
  });
  const result = await generateText({
    model,
    tools,
    stopWhen: stepCountIs(opts.maxSteps ?? 12),
    system:
      'You are lead-router. You assign contacts to sales reps by these territory rules, first match wins:\n' +
      `${describeRules(rules)}\n` +
      'Read contacts with the tools, then set owner_id on each contact whose owner differs from its rule. ' +
      'Only change owner_id. Give a short reason with every change. Gatehouse checks every change: read each ' +
      "tool result's status and next_step and follow it; never retry a denied change.",
    prompt:
      `Route up to ${limit} contacts.` +
      (inbound.length > 0 ? ` These inbound leads arrived from the web form: ${inbound.join(', ')}.` : ''),
  });

  const seen: ContactLike[] = [];
  const steps: LeadRouterStep[] = [];
  for (const step of result.steps) {
    for (const r of step.toolResults) {
      if (r.toolName === LIST) seen.push(...((r.output as { results?: ContactLike[] }).results ?? []));
      if (r.toolName === UPDATE) {
        steps.push({ what: describeUpdate(r.input as UpdateInput), outcome: r.output as ActionOutcome | ToolError });
      }
    }
  }
  return { text: result.text, seen, steps };
}
