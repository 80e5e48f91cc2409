/** Dashboard sign-in (passwords, sessions) and role permissions; see docs/authentication.md. */
export { setPassword, type CredentialDeps, type PasswordSet } from './credentials.js';
export {
  checkPasswordPolicy,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  needsRehash,
  parsePasswordHash,
  SCRYPT_DEFAULTS,
  verifyAgainstDecoy,
  verifyPassword,
  type PasswordPolicyResult,
  type ScryptParams,
} from './password.js';
export {
  can,
  isPermission,
  PERMISSION_NAMES,
  PERMISSIONS,
  permissionsOf,
  permissionsOfRole,
  rolesWith,
  type Permission,
  type RoleHolder,
  type RoleSource,
} from './permissions.js';
export {
  createSession,
  endSession,
  hashSessionToken,
  isWellFormedSessionToken,
  resolveSession,
  SESSION_LIFETIME_MS,
  sessionRef,
  type NewSession,
  type SessionDeps,
} from './sessions.js';
export {
  LOGIN_LIMITS,
  signIn,
  type LoginLimits,
  type SignInDeps,
  type SignInInput,
  type SignInOutcome,
} from './sign-in.js';
