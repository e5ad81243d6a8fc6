// What the compute API handlers need, passed in once by createComputeApi, and who the caller is.
import type { FastifyRequest } from 'fastify';
import type { Credentials } from '#lib/context.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { ComputeDb } from '../db/tables.ts';

export interface ComputeApiDeps {
  db: ComputeDb;
  policy: PolicyEnforcer;
  /** Most items a list returns. */
  maxLimit: number;
  log: Logger;
}

export interface Caller {
  credentials: Credentials;
  projectId?: string;
  isAdmin: boolean;
}

export function callerOf(deps: ComputeApiDeps, req: FastifyRequest): Caller {
  const credentials = req.ctx.credentials;
  if (!credentials) throw new Unauthorized();
  const projectId = credentials.scope.kind === 'project' ? credentials.scope.projectId : undefined;
  return { credentials, projectId, isAdmin: deps.policy.allowed('context_is_admin', credentials, {}) };
}

/** Enforces a rule with the caller's project as the target, as Nova does for project-less resources. */
export function authorize(deps: ComputeApiDeps, caller: Caller, rule: string): void {
  deps.policy.enforce(rule, caller.credentials, { project_id: caller.projectId });
}
