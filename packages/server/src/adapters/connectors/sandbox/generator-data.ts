import type { LifecycleStage } from './schema.js';

/** Fixed tables behind the generator: markets, territories and the shape of the lifecycle funnel. */

export interface Country {
  readonly code: string;
  readonly weight: number;
  readonly dial: string;
  readonly cities: readonly string[];
}

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    weight: 38,
    dial: '+1',
    cities: ['New York', 'San Francisco', 'Austin', 'Chicago', 'Boston', 'Seattle', 'Denver', 'Atlanta'],
  },
  { code: 'CA', weight: 7, dial: '+1', cities: ['Toronto', 'Vancouver', 'Montreal', 'Calgary'] },
  { code: 'GB', weight: 11, dial: '+44', cities: ['London', 'Manchester', 'Edinburgh', 'Bristol'] },
  { code: 'DE', weight: 10, dial: '+49', cities: ['Berlin', 'Munich', 'Hamburg', 'Cologne'] },
  { code: 'FR', weight: 8, dial: '+33', cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse'] },
  { code: 'NL', weight: 4, dial: '+31', cities: ['Amsterdam', 'Rotterdam', 'Utrecht'] },
  { code: 'ES', weight: 4, dial: '+34', cities: ['Madrid', 'Barcelona', 'Valencia'] },
  { code: 'IT', weight: 3, dial: '+39', cities: ['Milan', 'Rome', 'Turin'] },
  { code: 'SE', weight: 2, dial: '+46', cities: ['Stockholm', 'Gothenburg'] },
  { code: 'AU', weight: 6, dial: '+61', cities: ['Sydney', 'Melbourne', 'Brisbane'] },
  { code: 'IN', weight: 4, dial: '+91', cities: ['Bangalore', 'Mumbai', 'Pune'] },
  { code: 'BR', weight: 3, dial: '+55', cities: ['São Paulo', 'Rio de Janeiro'] },
];

/** Sales territories; every owner covers exactly one. */
export const REGIONS: readonly { name: string; countries: readonly string[]; weight: number }[] = [
  { name: 'North America', countries: ['US', 'CA'], weight: 45 },
  { name: 'UK, Nordics & Benelux', countries: ['GB', 'NL', 'SE'], weight: 17 },
  { name: 'DACH & France', countries: ['DE', 'FR'], weight: 18 },
  { name: 'Southern Europe', countries: ['ES', 'IT'], weight: 7 },
  { name: 'APAC', countries: ['AU', 'IN'], weight: 10 },
  { name: 'LATAM', countries: ['BR'], weight: 3 },
];

export const INDUSTRIES = [
  'Software',
  'Financial Services',
  'Healthcare',
  'Retail',
  'Manufacturing',
  'Education',
  'Media',
  'Logistics',
  'Professional Services',
  'Telecommunications',
] as const;

export const JOB_TITLES = [
  'Marketing Manager',
  'VP Marketing',
  'Head of Growth',
  'Demand Generation Manager',
  'Marketing Operations Specialist',
  'Product Marketing Manager',
  'Revenue Operations Manager',
  'Sales Director',
  'Account Executive',
  'Chief Executive Officer',
  'Chief Financial Officer',
  'Chief Technology Officer',
  'Data Analyst',
  'BI Engineer',
  'Financial Controller',
  'Customer Success Manager',
] as const;

/** Many subscribers and leads, fewer MQLs, SQLs, opportunities and customers. */
export const LIFECYCLE_WEIGHTS: readonly (readonly [LifecycleStage, number])[] = [
  ['subscriber', 38],
  ['lead', 30],
  ['marketingqualifiedlead', 12],
  ['salesqualifiedlead', 7],
  ['opportunity', 5],
  ['customer', 6],
  ['evangelist', 1],
  ['other', 1],
];

export const ANALYTICS_SOURCE_WEIGHTS = [
  ['ORGANIC_SEARCH', 30],
  ['PAID_SEARCH', 15],
  ['EMAIL_MARKETING', 12],
  ['SOCIAL_MEDIA', 13],
  ['REFERRALS', 10],
  ['DIRECT_TRAFFIC', 15],
  ['OFFLINE', 5],
] as const;

type Status = readonly [string, number];

/** Per stage: age range, share with an owner, lead-score range (MQL threshold is 60), lead statuses, funnel path. */
export const STAGE_PROFILE: Readonly<
  Record<
    LifecycleStage,
    {
      minAgeDays: number;
      maxAgeDays: number;
      ownedShare: number;
      score: readonly [number, number];
      statuses: readonly Status[];
      path: readonly LifecycleStage[];
    }
  >
> = {
  subscriber: { minAgeDays: 1, maxAgeDays: 1095, ownedShare: 0.05, score: [0, 25], statuses: [], path: ['subscriber'] },
  lead: {
    minAgeDays: 1,
    maxAgeDays: 900,
    ownedShare: 0.5,
    score: [5, 55],
    statuses: [
      ['NEW', 40],
      ['OPEN', 25],
      ['ATTEMPTED_TO_CONTACT', 20],
      ['UNQUALIFIED', 10],
      ['BAD_TIMING', 5],
    ],
    path: ['subscriber', 'lead'],
  },
  marketingqualifiedlead: {
    minAgeDays: 3,
    maxAgeDays: 720,
    ownedShare: 0.95,
    score: [60, 90],
    statuses: [
      ['OPEN', 40],
      ['IN_PROGRESS', 35],
      ['ATTEMPTED_TO_CONTACT', 25],
    ],
    path: ['lead', 'marketingqualifiedlead'],
  },
  salesqualifiedlead: {
    minAgeDays: 7,
    maxAgeDays: 720,
    ownedShare: 0.98,
    score: [65, 95],
    statuses: [
      ['IN_PROGRESS', 60],
      ['CONNECTED', 40],
    ],
    path: ['lead', 'marketingqualifiedlead', 'salesqualifiedlead'],
  },
  opportunity: {
    minAgeDays: 14,
    maxAgeDays: 720,
    ownedShare: 1,
    score: [60, 100],
    statuses: [['OPEN_DEAL', 1]],
    path: ['lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity'],
  },
  customer: {
    minAgeDays: 180,
    maxAgeDays: 1095,
    ownedShare: 1,
    score: [40, 100],
    statuses: [['CONNECTED', 1]],
    path: ['lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'],
  },
  evangelist: {
    minAgeDays: 365,
    maxAgeDays: 1095,
    ownedShare: 1,
    score: [70, 100],
    statuses: [['CONNECTED', 1]],
    path: ['lead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'],
  },
  other: {
    minAgeDays: 1,
    maxAgeDays: 1095,
    ownedShare: 0.2,
    score: [0, 20],
    statuses: [['UNQUALIFIED', 1]],
    path: ['other'],
  },
};

/** Subject lines of seeded emails: mostly plausible, a few that a marketer would wince at. */
export const GOOD_SUBJECTS = [
  '{{ contact.firstname }}, your {month} product update',
  '5 ways revenue teams cut reporting time in half',
  'Your seat at our {month} analytics webinar',
  'What changed in {month}: dashboards, alerts and exports',
  '{{ contact.firstname }}, see how teams like yours forecast pipeline',
  'The 2026 benchmark report for B2B marketers',
  'Quick question about your reporting stack',
  'New: attribution you can explain to your CFO',
  'Last chance to join Thursday’s live demo',
  'Case study: how Fabrikam grew pipeline 32%',
] as const;

export const WEAK_SUBJECTS = [
  'FREE TRIAL!!! ACT NOW',
  'Newsletter',
  'URGENT: limited time offer — 100% free, click here!!!',
] as const;
