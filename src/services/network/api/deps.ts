// What the networking API handlers need, passed in once by createNetworkApi, and who the caller is.
import type { FastifyRequest } from 'fastify';
import type { Credentials } from '#lib/context.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { NetworkDb } from '../db/tables.ts';
import { policyNotAuthorized } from '../domain/errors.ts';
import type { NetworkEvents } from './events.ts';

/** The slice of config.ts's options the handlers read (passed down, never imported: api/ sits below config). */
export interface NetworkApiSettings {
  data_plane_driver: string;
  tenant_network_type: string;
  global_physnet_mtu: number;
  vni_ranges: string;
  pagination_max_limit: number;
  max_fixed_ips_per_port: number;
  max_routes: number;
  agent_down_time: number;
  allow_automatic_l3agent_failover: boolean;
  quota_network: number;
  quota_subnet: number;
  quota_port: number;
  quota_router: number;
  quota_floatingip: number;
  quota_security_group: number;
  quota_security_group_rule: number;
}

export interface NetworkApiDeps {
  db: NetworkDb;
  policy: PolicyEnforcer;
  options: NetworkApiSettings;
  events: NetworkEvents;
  log: Logger;
}

/** Whether bound ports wait for their host's agent to report them up (every data plane but noop). */
export const agentWired = (deps: Pick<NetworkApiDeps, 'options'>): boolean => deps.options.data_plane_driver !== 'noop';

export interface Caller {
  credentials: Credentials;
  /** The token's project; undefined for system- or domain-scoped tokens. */
  projectId?: string;
  isAdmin: boolean;
}

/** Whose rows a list starts from: every project's for admins and services (policy then filters), else the caller's. */
export function listScope(deps: NetworkApiDeps, caller: Caller): string | undefined {
  if (caller.isAdmin || deps.policy.allowed('service_api', caller.credentials, {})) return undefined;
  return caller.projectId ?? '';
}

export function callerOf(deps: NetworkApiDeps, req: FastifyRequest): Caller {
  const credentials = req.ctx.credentials;
  if (!credentials) throw new Unauthorized();
  const projectId = credentials.scope.kind === 'project' ? credentials.scope.projectId : undefined;
  return { credentials, projectId, isAdmin: deps.policy.allowed('context_is_admin', credentials, {}) };
}

export type Target = Record<string, unknown>;

export function can(deps: NetworkApiDeps, caller: Caller, rule: string, target: Target): boolean {
  return deps.policy.allowed(rule, caller.credentials, { tenant_id: target.project_id, ...target });
}

/** Enforces a rule, answering 403 in Neutron's words (PolicyNotAuthorized). */
export function enforce(deps: NetworkApiDeps, caller: Caller, rule: string, target: Target): void {
  if (!can(deps, caller, rule, target)) throw policyNotAuthorized(rule);
}

/** Enforces `<action>_<resource>:<attribute>` for each attribute the body sets that has such a rule. */
export function enforceAttributes(deps: NetworkApiDeps, caller: Caller, rule: string, body: Record<string, unknown>, target: Target): void {
  const rules = deps.policy.rules();
  for (const key of Object.keys(body)) {
    const name = `${rule}:${key}`;
    if (name in rules && body[key] !== undefined) enforce(deps, caller, name, target);
  }
}

/** The project a new resource belongs to: the body's (admins may create for others) or the caller's. */
export function owningProject(caller: Caller, body: { project_id?: string; tenant_id?: string }): string {
  const project = body.project_id ?? body.tenant_id ?? caller.projectId;
  if (!project) throw policyNotAuthorized('project_id');
  return project;
}

export const idParam = (req: FastifyRequest, name = 'id'): string => (req.params as Record<string, string>)[name];

/** Neutron's timestamps: ISO 8601 in UTC without fractions. */
export const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function jsonArray<T>(text: string): T[] {
  return JSON.parse(text) as T[];
}
