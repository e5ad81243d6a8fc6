// The token document Keystone returns from POST and GET /v3/auth/tokens.
import type { AppCredRow, DomainRow, ProjectRow, RoleRow, UserRow } from '../db/tables.ts';
import { asBool } from '../db/crud.ts';
import type { TokenPayload } from '../domain/token-format.ts';
import type { CatalogEntry } from './identity-state.ts';

export type TokenBody = Record<string, unknown>;

/** Keystone's timestamp format: microsecond precision with a Z. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const PLACEHOLDER = /[%$]\((\w+)\)s/g;

/**
 * Fills Keystone's endpoint URL placeholders (`%(project_id)s`, `$(tenant_id)s`, `%(user_id)s`) with the token's
 * values, as Keystone does for Swift's `/v1/AUTH_%(project_id)s`; an endpoint needing a value the token lacks (a
 * project id in a domain-scoped token) is left out of the catalog, as Keystone leaves out a URL it cannot format.
 */
export function substituteCatalog(catalog: CatalogEntry[], values: Record<string, string | undefined>): CatalogEntry[] {
  if (!catalog.some((s) => s.endpoints.some((e) => e.url.includes('(')))) return catalog;
  return catalog.map((s) => ({
    ...s,
    endpoints: s.endpoints.flatMap((e) => {
      let missing = false;
      const url = e.url.replace(PLACEHOLDER, (_m, key: string) => values[key] ?? ((missing = true), ''));
      return missing ? [] : [{ ...e, url }];
    }),
  }));
}

/** What a trust-scoped token shows of its trust. */
export interface TokenTrust { id: string; impersonation: boolean; trustorId: string; trusteeId: string }

/** `user` is the user the token acts as: for a trust with impersonation, the trustor. */
export function buildTokenBody(p: {
  payload: TokenPayload; user: UserRow; userDomain: DomainRow; project?: ProjectRow; projectDomain?: DomainRow;
  domain?: DomainRow; roles: RoleRow[]; catalog: CatalogEntry[]; trust?: TokenTrust; appCred?: AppCredRow;
}): TokenBody {
  const body: TokenBody = {
    methods: p.payload.methods,
    user: {
      domain: { id: p.userDomain.id, name: p.userDomain.name },
      id: p.user.id, name: p.user.name, password_expires_at: p.user.password_expires_at,
    },
    audit_ids: p.payload.auditIds,
    expires_at: keystoneTime(p.payload.expiresAt),
    issued_at: keystoneTime(p.payload.issuedAt),
  };
  if (p.trust) {
    body['OS-TRUST:trust'] = {
      id: p.trust.id, impersonation: p.trust.impersonation,
      trustee_user: { id: p.trust.trusteeId }, trustor_user: { id: p.trust.trustorId },
    };
  }
  if (p.project && p.projectDomain) {
    body.project = { domain: { id: p.projectDomain.id, name: p.projectDomain.name }, id: p.project.id, name: p.project.name };
    // Keystone's trust-scoped token document has no is_domain.
    if (!p.trust) body.is_domain = false;
  }
  if (p.domain) body.domain = { id: p.domain.id, name: p.domain.name };
  if (p.payload.scope.kind === 'system') body.system = { all: true };
  if (p.payload.scope.kind !== 'unscoped') {
    body.roles = p.roles.map((r) => ({ id: r.id, name: r.name }));
    body.catalog = substituteCatalog(p.catalog, { project_id: p.project?.id, tenant_id: p.project?.id, user_id: p.user.id });
  }
  if (p.payload.appCredId) {
    body.application_credential = { id: p.payload.appCredId, name: p.appCred?.name, restricted: !asBool(p.appCred?.unrestricted) };
  }
  return body;
}
