/**
 * Territory rules: the first rule whose countries (and minimum lead score, if any) match a
 * contact names its owner. Pure, so the scripted model and a test can apply the same rules the
 * real model is told about in its instructions.
 */
export interface TerritoryRule {
  readonly name: string;
  /** ISO country codes this rule covers. */
  readonly countries: readonly string[];
  /** Only contacts scoring at least this (the sandbox's MQL threshold is 60). */
  readonly minScore?: number;
  readonly owner: string;
}

/** North America: sales-ready leads to the senior rep, the rest to the territory's other rep. */
export const DEFAULT_RULES: readonly TerritoryRule[] = [
  { name: 'North America, sales-ready', countries: ['US', 'CA'], minScore: 60, owner: 'u_7' },
  { name: 'North America', countries: ['US', 'CA'], owner: 'u_8' },
];

export interface ContactLike {
  readonly id: string;
  readonly properties: Readonly<Record<string, string | null>>;
}

export function ruleFor(contact: ContactLike, rules: readonly TerritoryRule[]): TerritoryRule | undefined {
  const country = contact.properties.country ?? '';
  const score = Number(contact.properties.lead_score ?? Number.NaN);
  return rules.find(
    (r) =>
      r.countries.includes(country) && (r.minScore === undefined || (Number.isFinite(score) && score >= r.minScore)),
  );
}

/** The rules as the instructions a language model reads. */
export function describeRules(rules: readonly TerritoryRule[]): string {
  return rules
    .map(
      (r, i) =>
        `${i + 1}. ${r.name}: country in ${r.countries.join('/')}${r.minScore !== undefined ? ` and lead_score ≥ ${r.minScore}` : ''} → owner_id ${r.owner}`,
    )
    .join('\n');
}
