import { describe, expect, it } from 'vitest';
import { expand } from './interpolate.js';
import { loadConfigFromString } from './load.js';

describe('expand', () => {
  it('replaces variables and keeps the rest of the text', () => {
    expect(expand('Bearer ${TOKEN}!', { TOKEN: 'abc' })).toEqual({ ok: true, value: 'Bearer abc!' });
  });
  it('uses the default when the variable is unset or empty, like a shell', () => {
    expect(expand('${PORT:-4100}', {})).toEqual({ ok: true, value: '4100' });
    expect(expand('${PORT:-4100}', { PORT: '' })).toEqual({ ok: true, value: '4100' });
    expect(expand('${PORT:-4100}', { PORT: '80' })).toEqual({ ok: true, value: '80' });
  });
  it('writes a literal ${ for $${', () => {
    expect(expand('cost: $${AMOUNT}', {})).toEqual({ ok: true, value: 'cost: ${AMOUNT}' });
  });
  it('names a missing variable', () => {
    const r = expand('${HOOK_SECRET}', {});
    expect(r).toMatchObject({ ok: false, code: 'missing_env' });
    if (!r.ok) expect(r.message).toContain('HOOK_SECRET');
  });
  it('refuses malformed references', () => {
    expect(expand('${not a name}', {})).toMatchObject({ ok: false, code: 'invalid_env_reference' });
  });
});

describe('interpolation in a config file', () => {
  const file = (secret: string) =>
    [
      'version: 1',
      '# ${IN_A_COMMENT} is left alone',
      'notifications:',
      '  - type: webhook',
      '    url: ${HOOK_URL:-http://127.0.0.1:9000/hook}',
      `    secret: ${secret}`,
    ].join('\n');

  it('keeps values strings even when they look like numbers', () => {
    const r = loadConfigFromString(file('${HOOK_SECRET}'), 'g.yaml', { HOOK_SECRET: '12345' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.notifications[0]).toMatchObject({ url: 'http://127.0.0.1:9000/hook', secret: '12345' });
  });

  it('hints at quoting when ${…} breaks a flow mapping', () => {
    const r = loadConfigFromString('version: 1\nnotifications:\n  - { type: webhook, secret: ${S} }\n', 'g.yaml', {});
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.diagnostics[0]).toMatchObject({
        line: 3,
        code: 'yaml_syntax',
        message: expect.stringContaining('quote'),
      });
  });

  it('validates the interpolated value, not the reference', () => {
    const r = loadConfigFromString(file('${HOOK_SECRET}'), 'g.yaml', { HOOK_SECRET: '', HOOK_URL: 'not a url' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.line, d.path, d.code])).toEqual([
      [5, 'notifications[0].url', 'invalid_format'],
      [6, 'notifications[0].secret', 'out_of_range'],
    ]);
  });
});
