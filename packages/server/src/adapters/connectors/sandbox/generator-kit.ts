import { Faker, base, en } from '@faker-js/faker';
import type { PropertyValue } from '../../../core/ports/connector.js';

/** Building blocks shared by the generator's modules: the seeded Rng, the seed record shape, the base date. */

/** All generated timestamps lie before this instant; the injected clock normally starts after it. */
export const SANDBOX_BASE_DATE = '2026-01-01T00:00:00.000Z';
export const BASE_MS = Date.parse(SANDBOX_BASE_DATE);

/** One generated record. `timeline` holds the full chronological history of properties that changed
 * after creation; every other non-null property has one history entry at `createdAt`. */
export interface SeedRecord {
  readonly object: string;
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly properties: Record<string, PropertyValue>;
  readonly timeline?: Readonly<Record<string, readonly { value: PropertyValue; at: string }[]>>;
}

/** Random draws, all from one seeded Faker so the order of calls fixes the data. */
export interface Rng {
  readonly faker: Faker;
  float(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: readonly (readonly [T, number])[]): T;
}

export function createRng(seed: number): Rng {
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);
  faker.setDefaultRefDate(new Date(BASE_MS));
  const float = () => faker.number.float();
  return {
    faker,
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    chance: (p) => float() < p,
    pick: (items) => items[Math.floor(float() * items.length)]!,
    weighted(items) {
      let total = 0;
      for (const [, w] of items) total += w;
      let r = float() * total;
      for (const [v, w] of items) {
        r -= w;
        if (r < 0) return v;
      }
      return items[items.length - 1]![0];
    },
  };
}
