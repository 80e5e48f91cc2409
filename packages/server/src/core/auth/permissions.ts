/**
 * What people may do, by role. The built-in roles' rights are this table and nothing else; a
 * custom role (config `roles:`) has exactly the permissions it lists. A person's rights are the
 * union over their roles. Whether a person may vote on a particular approval also depends on the
 * approval's own `role` (policies may name a custom role as approvers); see approval-lifecycle.md.
 *
 * Deliberate gaps: admins do not decide approvals or reset breakers unless they also hold
 * approver / responder (separation of duties), and auditors hold only read rights.
 */

/** The slice of the compiled config this module reads (`CompiledConfig` satisfies it). */
export interface RoleSource {
  readonly roles: Readonly<Record<string, { readonly permissions: readonly string[] }>>;
}

/** A person as configured (`PersonConfig` satisfies it). */
export interface RoleHolder {
  readonly roles: readonly string[];
}

export const PERMISSIONS = {
  /** Vote approve / reject / request revision. */
  'approvals.decide': ['approver'],
  /** Reset (close) a tripped breaker. */
  'breakers.reset': ['responder'],
  /** Change an agent's mode (observe | gated | autonomous | paused). */
  'agents.mode': ['admin'],
  /** Read the audit log and verify it. */
  'audit.read': ['auditor', 'admin'],
  /** Read agents, actions, approvals, breakers and records through the people API. */
  read: ['admin', 'approver', 'auditor', 'responder'],
} as const satisfies Record<string, readonly string[]>;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.freeze(Object.keys(PERMISSIONS) as Permission[]);

export function isPermission(name: string): name is Permission {
  return Object.hasOwn(PERMISSIONS, name);
}

/** The permissions one role grants: the table's for built-in roles, plus what the config lists. */
export function permissionsOfRole(role: string, config: RoleSource): Set<Permission> {
  const out = new Set<Permission>();
  for (const name of PERMISSION_NAMES) if ((PERMISSIONS[name] as readonly string[]).includes(role)) out.add(name);
  const custom = Object.hasOwn(config.roles, role) ? config.roles[role] : undefined;
  for (const name of custom?.permissions ?? []) if (isPermission(name)) out.add(name);
  return out;
}

export function permissionsOf(person: RoleHolder, config: RoleSource): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of person.roles) for (const p of permissionsOfRole(role, config)) out.add(p);
  return out;
}

export function can(person: RoleHolder, permission: Permission, config: RoleSource): boolean {
  return person.roles.some((role) => permissionsOfRole(role, config).has(permission));
}

/** Roles (built-in and custom) that grant `permission`, for "needs one of the roles …" messages. */
export function rolesWith(permission: Permission, config: RoleSource): string[] {
  const roles = new Set<string>(PERMISSIONS[permission]);
  for (const [id, role] of Object.entries(config.roles)) if (role.permissions.includes(permission)) roles.add(id);
  return [...roles].sort();
}
