/**
 * campaign-runner: launches a draft campaign, written against the SDK alone. A launch is an
 * operation that needs a person's approval (policy `launches-need-approval`, with a checklist),
 * and the agent runs `gated`, so `submit` answers `pending_approval` with the approval's id: the
 * agent reports it and may wait, with a bound, for a person to decide. It never tries to approve
 * anything itself; it cannot (approvals need a person's key).
 */
import { isFinalStatus, type ActionView, type GatehouseClient } from '@gatehouse/sdk';

export interface CampaignRunnerOptions {
  readonly connector?: string;
  /** The campaign to launch; default: the first draft the agent can read. */
  readonly campaignId?: string;
  readonly reason?: string;
  /** Wait up to this long for a person to decide. Default 0: report the pending approval and return. */
  readonly waitMs?: number;
}

export interface CampaignRunResult {
  /** The campaign launched, or undefined when there was no draft. */
  readonly campaign?: { readonly id: string; readonly name: string | null };
  /** The action as submitted (usually `pending_approval`). */
  readonly submitted?: ActionView;
  /** The action after waiting; equals `submitted` when not waiting. */
  readonly settled?: ActionView;
}

export async function run(client: GatehouseClient, opts: CampaignRunnerOptions = {}): Promise<CampaignRunResult> {
  const connector = opts.connector ?? 'crm';
  const campaign = opts.campaignId
    ? await client.records.get(connector, 'campaigns', opts.campaignId)
    : (await client.records.list(connector, 'campaigns', { filter: 'status:EQ:draft', limit: 1 })).results[0];
  if (!campaign) return {};
  const name = campaign.properties.name ?? null;
  const submitted = await client.actions.submit({
    connector,
    object: 'campaigns',
    operation: 'launch',
    target: campaign.id,
    reason: opts.reason ?? `Launch ${name ?? campaign.id}: drafted and scheduled for this week`,
  });
  let settled = submitted;
  const waitMs = opts.waitMs ?? 0;
  if (waitMs > 0 && !isFinalStatus(submitted.status)) {
    settled = await client.actions.wait(submitted.id, {
      timeoutMs: waitMs,
      pollSeconds: Math.min(30, Math.max(1, Math.ceil(waitMs / 1000))),
    });
  }
  return { campaign: { id: campaign.id, name }, submitted, settled };
}
