// What the identity API handlers need, passed in once by the service factory, plus small shared request helpers.
import type { FastifyRequest } from 'fastify';
import type { Logger } from '#lib/log.ts';
import type { IdentityDb } from '../db/tables.ts';
import type { TokenProvider } from '../provider/token-provider.ts';
import type { IdentityState } from '../provider/identity-state.ts';
import type { RevocationList } from '../provider/revocation-list.ts';
import type { HashCost } from '../domain/password-hash.ts';
import type { KeyRing } from '../domain/key-repository.ts';
import { BadRequest, Unauthorized } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';

export interface PolicyEnforcer {
  enforce(rule: string, credentials: Credentials | undefined, target: Record<string, unknown>): void;
  /** Like enforce, but answers instead of throwing (for filtering lists). */
  allowed(rule: string, credentials: Credentials | undefined, target: Record<string, unknown>): boolean;
}

export interface IdentityApiDeps {
  db: IdentityDb;
  tokens: TokenProvider;
  state: IdentityState;
  revocations: RevocationList;
  policy: PolicyEnforcer;
  hashCost: HashCost;
  /** The credential key repository's current keys (blobs of /v3/credentials are encrypted with them). */
  credentialKeys: () => KeyRing;
  log: Logger;
}

/** Enforces a policy rule for the caller; the target carries the attributes rules compare with. */
export function authorize(deps: IdentityApiDeps, req: FastifyRequest, rule: string, target: Record<string, unknown> = {}): Credentials {
  const creds = req.ctx.credentials;
  if (!creds) throw new Unauthorized();
  deps.policy.enforce(rule, creds, target);
  return creds;
}

/** The URL clients used to reach us, so links point back where they came from. */
export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.host}`;
}

export function selfLink(req: FastifyRequest, path: string): { self: string } {
  return { self: `${baseUrl(req)}${path}` };
}

export function collectionLinks(req: FastifyRequest): { self: string; previous: null; next: null } {
  return { self: `${baseUrl(req)}${req.url}`, previous: null, next: null };
}

/** The domain a new user, group or project lands in when the request names none: the caller's, as Keystone does. */
export function callerDomainId(req: FastifyRequest): string {
  const s = req.ctx.credentials?.scope;
  return s?.kind === 'domain' ? s.domainId : s?.kind === 'project' ? s.projectDomainId : 'default';
}

/** A domain named in a request body must exist (400, as Keystone answers for a bad reference in a body). */
export async function requireDomain(deps: IdentityApiDeps, domainId: string): Promise<void> {
  if (!(await deps.db.selectFrom('domains').select('id').where('id', '=', domainId).executeTakeFirst())) {
    throw new BadRequest(`Could not find domain: ${domainId}.`);
  }
}
