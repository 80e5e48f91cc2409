import { describe, expect, it } from 'vitest';
import { compileCel, isCelError } from './cel.js';

describe('compileCel', () => {
  it('compiles and evaluates a where clause', () => {
    const r = compileCel("record.country in ['US', 'CA']", 'where');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.expr.evaluate({ record: { country: 'US' } })).toBe(true);
    expect(r.expr.evaluate({ record: { country: 'DE' } })).toBe(false);
  });
  it('reports syntax errors with a position', () => {
    const r = compileCel("record.country in ['US'", 'where');
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.message).toMatch(/does not compile: at 1:/);
  });
  it('rejects unknown variables but allows comprehension variables', () => {
    const bad = compileCel("acton.operation == 'launch'", 'policy');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain("'acton'");
    expect(compileCel('[1, 2].exists(x, x > changes.records)', 'policy').ok).toBe(true);
  });
  it('returns evaluation errors as values', () => {
    const r = compileCel('record.missing == 1', 'where');
    if (!r.ok) throw new Error(r.message);
    expect(isCelError(r.expr.evaluate({ record: {} }))).toBe(true);
  });
  it('bounds expression size', () => {
    const big = Array.from({ length: 400 }, (_, i) => `record.a == ${i}`).join(' || ');
    expect(compileCel(big, 'where').ok).toBe(false);
  });
});
