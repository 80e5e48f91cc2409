import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  can,
  PERMISSION_NAMES,
  PERMISSIONS,
  permissionsOf,
  rolesWith,
  type Permission,
  type RoleSource,
} from '../../src/core/auth/permissions.js';

const builtIn = (id: string) => ({ id, built_in: true, permissions: [] as string[] });
const config: RoleSource = {
  roles: {
    admin: builtIn('admin'),
    approver: builtIn('approver'),
    auditor: builtIn('auditor'),
    responder: builtIn('responder'),
    'brand-reviewer': { permissions: ['approvals.decide', 'read', 'not-a-permission'] },
    'on-call': { permissions: ['breakers.reset'] },
  },
};

describe('can', () => {
  it.each<[string[], Permission, boolean]>([
    [['approver'], 'approvals.decide', true],
    [['admin'], 'approvals.decide', false],
    [['auditor'], 'approvals.decide', false],
    [['responder'], 'breakers.reset', true],
    [['admin'], 'breakers.reset', false],
    [['approver'], 'breakers.reset', false],
    [['admin'], 'agents.mode', true],
    [['auditor'], 'agents.mode', false],
    [['approver', 'responder'], 'agents.mode', false],
    [['auditor'], 'audit.read', true],
    [['admin'], 'audit.read', true],
    [['approver'], 'audit.read', false],
    [['responder'], 'read', true],
    [[], 'read', false],
    [['brand-reviewer'], 'approvals.decide', true],
    [['brand-reviewer'], 'agents.mode', false],
    [['on-call'], 'breakers.reset', true],
    [['on-call'], 'read', false],
    [['no-such-role'], 'read', false],
  ])('%j may %s: %s', (roles, permission, expected) => {
    expect(can({ roles }, permission, config)).toBe(expected);
  });

  it('auditors read everything and change nothing, whatever other built-in rights exist', () => {
    expect([...permissionsOf({ roles: ['auditor'] }, config)].sort()).toEqual(['audit.read', 'read']);
  });

  it("a person's rights are exactly the union of their roles' rights", () => {
    const roleIds = Object.keys(config.roles);
    fc.assert(
      fc.property(fc.subarray(roleIds), fc.constantFrom(...PERMISSION_NAMES), (roles, permission) => {
        const any = roles.some((r) => can({ roles: [r] }, permission, config));
        expect(can({ roles }, permission, config)).toBe(any);
        expect(permissionsOf({ roles }, config).has(permission)).toBe(any);
      }),
    );
  });

  it('unknown permission names in a custom role grant nothing, and prototype names are not roles', () => {
    expect(permissionsOf({ roles: ['brand-reviewer'] }, config)).toEqual(new Set(['approvals.decide', 'read']));
    expect(can({ roles: ['constructor', '__proto__', 'toString'] }, 'read', config)).toBe(false);
  });

  it('rolesWith lists built-in and custom roles, for error messages', () => {
    expect(rolesWith('approvals.decide', config)).toEqual(['approver', 'brand-reviewer']);
    expect(rolesWith('breakers.reset', config)).toEqual(['on-call', 'responder']);
  });

  it('the table is the one the docs describe', () => {
    expect(PERMISSIONS).toEqual({
      'approvals.decide': ['approver'],
      'breakers.reset': ['responder'],
      'agents.mode': ['admin'],
      'audit.read': ['auditor', 'admin'],
      read: ['admin', 'approver', 'auditor', 'responder'],
    });
  });
});
