// What Placement's handlers need, passed in once by the service factory, and the helpers every handler uses.
import type { FastifyRequest } from 'fastify';
import { Unauthorized } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { PlacementStore } from '../db/tables.ts';

/** The slice of Placement's options the handlers read (config.ts declares them). */
export interface PlacementApiOptions {
  allocation_conflict_retry_count: number;
  max_allocation_candidates: number;
  randomize_allocation_candidates: boolean;
  incomplete_consumer_project_id: string;
  incomplete_consumer_user_id: string;
}

export interface PlacementApiDeps {
  store: PlacementStore;
  policy: PolicyEnforcer;
  options: PlacementApiOptions;
  log: Logger;
}

/** Enforces a policy rule for the caller; `target` carries what rules compare with (project_id for /usages). */
export function authorize(deps: PlacementApiDeps, req: FastifyRequest, rule: string, target: Record<string, unknown> = {}): Credentials {
  const creds = req.ctx.credentials;
  if (!creds) throw new Unauthorized();
  deps.policy.enforce(rule, creds, target);
  return creds;
}

/** Placement's uuid as path and body accept it: 32 hex digits, dashes optional, any case. */
export const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
export const UUID_PATTERN = UUID_LIKE.source;

/** The canonical form (lower case, dashed) of a uuid-like string, or undefined when it is not one. */
export function normalizeUuid(value: string): string | undefined {
  if (!UUID_LIKE.test(value)) return undefined;
  const hex = value.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A provider uuid from the path: any string that is not uuid-like matches no provider, as in Placement. */
export function pathUuid(value: string): string {
  return normalizeUuid(value) ?? value;
}
