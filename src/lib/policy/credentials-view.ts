// The oslo.policy-shaped (snake_case) view of a token's credentials that check strings are evaluated against.
import type { Credentials, Scope } from '../context.ts';

/** Keys are the names a check string uses on the left of the colon, e.g. `project_id:%(project_id)s`. */
export type CredentialsView = {
  user_id?: string;
  user_domain_id?: string;
  project_id?: string;
  project_domain_id?: string;
  /** Set only for a domain-scoped token. */
  domain_id?: string;
  /** 'all' only for a system-scoped token, as in Keystone. */
  system_scope?: 'all';
  /** Role names, implied roles already expanded by the auth middleware. */
  roles: string[];
  is_admin_project: boolean;
  /** Roles of the X-Service-Token's user, empty without one. */
  service_roles: string[];
  trust_id?: string;
  /** 'project', 'domain', 'system' or 'unscoped': lets a rule tell a domain-scoped admin from a cloud admin. */
  scope_type: Scope['kind'];
};

/** Maps Credentials to the view; anything the token does not carry is left undefined, so checks on it fail. */
export function credentialsView(c: Credentials): CredentialsView {
  const scope = c.scope;
  return {
    user_id: c.userId,
    user_domain_id: c.userDomainId,
    project_id: scope.kind === 'project' ? scope.projectId : undefined,
    project_domain_id: scope.kind === 'project' ? scope.projectDomainId : undefined,
    domain_id: scope.kind === 'domain' ? scope.domainId : undefined,
    system_scope: scope.kind === 'system' ? 'all' : undefined,
    roles: [...c.roles],
    // Unlike oslo.context's default of True, an unknown answer counts as "not the admin project".
    is_admin_project: c.isAdminProject === true,
    service_roles: c.service ? [...c.service.roles] : [],
    trust_id: c.trustId,
    scope_type: scope.kind,
  };
}

/** What a compiled rule reads: the view, role names lower-cased for oslo's case-insensitive `role:` check, and the scope kind. */
export type PolicySubject = {
  view: Readonly<Record<string, unknown>>;
  roles: ReadonlySet<string>;
  scope: Scope['kind'];
};

const ANONYMOUS: PolicySubject = { view: Object.freeze({ roles: [], service_roles: [], is_admin_project: false }), roles: new Set(), scope: 'unscoped' };

// One request may enforce many rules (filtering a list checks every item), so the view is built once per
// Credentials object. Credentials are treated as immutable once the auth middleware has produced them.
const cache = new WeakMap<Credentials, PolicySubject>();

/** The subject for `c`; no credentials means anonymous: no identity, no roles, unscoped. */
export function policySubject(c: Credentials | undefined): PolicySubject {
  if (!c) return ANONYMOUS;
  let subject = cache.get(c);
  if (!subject) {
    const view = Object.freeze(credentialsView(c));
    subject = { view, roles: new Set(view.roles.map((r) => r.toLowerCase())), scope: c.scope.kind };
    cache.set(c, subject);
  }
  return subject;
}
