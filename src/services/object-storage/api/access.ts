// Who may do what to an account, a container or an object: the project's members (write) and readers (read) by
// policy, then the container's ACLs for other users and anonymous callers. A refused anonymous caller gets 401, a
// refused authenticated one 403, as with Swift's keystoneauth.
import type { FastifyRequest } from 'fastify';
import { Forbidden, Unauthorized } from '#lib/errors.ts';
import { aclGrants, parseAcl } from '../domain/acl.ts';
import { projectOfAccount } from '../domain/names.ts';
import type { Container } from '../db/containers-repo.ts';
import type { ProxyDeps } from './deps.ts';

export type Operation =
  /** Account HEAD/GET, container HEAD of an owner's view. */
  | 'account-read'
  /** Account POST, container PUT/POST/DELETE. */
  | 'account-write'
  /** Container GET (a listing). */
  | 'container-list'
  /** Container HEAD. */
  | 'container-head'
  | 'object-read'
  | 'object-write';

export interface Access {
  /** The caller is a member of the account's project (or an admin): sees ACLs and account secrets. */
  owner: boolean;
}

function target(account: string) {
  const projectId = projectOfAccount(account);
  return { project_id: projectId };
}

/**
 * Throws 401/403 unless the caller may perform `op`; `container` is needed for ACL checks (undefined when the
 * container does not exist, so only the project's users get further — to a 404).
 */
export function authorize(deps: ProxyDeps, req: FastifyRequest, op: Operation, account: string, container?: Container): Access {
  const creds = req.ctx.credentials;
  const t = target(account);
  const owner = deps.policy.allowed('object_storage:account:write', creds, t);
  if (owner) return { owner };
  const readOnly = op === 'account-read' || op === 'container-list' || op === 'container-head' || op === 'object-read';
  if (readOnly && deps.policy.allowed('object_storage:account:read', creds, t)) return { owner: false };
  if (container && op !== 'account-read' && op !== 'account-write') {
    const who = creds ? { projectId: creds.scope.kind === 'project' ? creds.scope.projectId : undefined, userId: creds.userId, userName: creds.userName } : undefined;
    if (readOnly) {
      const acl = parseAcl(container.readAcl);
      if (aclGrants(acl, who)) return { owner: false };
      if (acl.anyReferrer && (op === 'object-read' || acl.listings)) return { owner: false };
    } else if (aclGrants(parseAcl(container.writeAcl), who)) {
      return { owner: false };
    }
  }
  throw creds ? new Forbidden('Forbidden') : new Unauthorized('Unauthorized');
}
