import type { FastifyRequest } from 'fastify';
import type { CompiledConfig, PersonConfig } from '../config/index.js';
import type { AuditService } from '../core/audit-service.js';
import { GatehouseError } from '../core/errors.js';
import type { Principal } from '../core/keys.js';
import type { AgentDefinition, PipelineDeps } from '../core/pipeline/index.js';
import { agentFor } from '../core/pipeline/index.js';
import { requirePrincipal, type HttpAppOptions } from './app.js';
import type { ApiRegistry } from './openapi.js';
import { requireCaller } from './session-auth.js';

/** What every route module receives from the composition root. */
export interface RouteContext {
  readonly deps: PipelineDeps;
  readonly config: CompiledConfig;
  readonly registry: ApiRegistry;
  readonly auth: HttpAppOptions;
  readonly audit: AuditService;
  readonly people: ReadonlyMap<string, PersonConfig>;
}

export async function requireAgent(ctx: RouteContext, req: FastifyRequest): Promise<AgentDefinition> {
  const p = await requirePrincipal(ctx.auth, req);
  if (p.kind !== 'agent') throw new GatehouseError('forbidden', 'this endpoint takes an agent key');
  return agentFor(ctx.deps, p.id);
}

export interface PersonPrincipal extends Principal {
  readonly person: PersonConfig;
  /** How the person authenticated: a person key, or a dashboard session (CSRF-checked). */
  readonly via: 'key' | 'session';
}

/**
 * A person, by person key or by dashboard session cookie (state-changing methods with a session
 * need `x-csrf-token`; see session-auth.ts), who holds one of `roles` (any role when empty).
 */
export async function requirePerson(
  ctx: RouteContext,
  req: FastifyRequest,
  roles: readonly string[] = [],
): Promise<PersonPrincipal> {
  const { principal: p, via } = await requireCaller(ctx, req);
  if (p.kind !== 'person') throw new GatehouseError('forbidden', 'this endpoint takes a person key');
  const person = ctx.people.get(p.id);
  if (!person) throw new GatehouseError('forbidden', `person '${p.id}' is no longer in the config`);
  if (roles.length > 0 && !person.roles.some((r) => roles.includes(r))) {
    throw new GatehouseError('forbidden', `${person.id} needs one of the roles ${roles.join(', ')}`);
  }
  return { ...p, person, via };
}
