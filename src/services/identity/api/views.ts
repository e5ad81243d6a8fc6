// Row → Keystone JSON. Keystone returns unknown ("extra") attributes alongside the known ones.
import type { FastifyRequest } from 'fastify';
import type { AppCredRow, CredentialRow, DomainRow, EndpointRow, GroupRow, ProjectRow, RegionRow, RoleRow, ServiceRow, TrustRow, UserRow } from '../db/tables.ts';
import { asBool, parseJson } from '../db/crud.ts';
import { keystoneTime } from '../provider/token-body.ts';
import { selfLink } from './deps.ts';

const extra = (text: string): Record<string, unknown> => parseJson<Record<string, unknown>>(text, {});

export const domainView = (req: FastifyRequest, d: DomainRow) => ({
  ...extra(d.extra), id: d.id, name: d.name, description: d.description, enabled: asBool(d.enabled),
  tags: [], options: {}, links: selfLink(req, `/v3/domains/${d.id}`),
});

export const projectView = (req: FastifyRequest, p: ProjectRow) => ({
  ...extra(p.extra), id: p.id, name: p.name, domain_id: p.domain_id, description: p.description,
  enabled: asBool(p.enabled), parent_id: p.parent_id ?? p.domain_id, is_domain: false,
  tags: parseJson<string[]>(p.tags, []), options: {}, links: selfLink(req, `/v3/projects/${p.id}`),
});

export const userView = (req: FastifyRequest, u: UserRow) => ({
  ...extra(u.extra), id: u.id, name: u.name, domain_id: u.domain_id, enabled: asBool(u.enabled),
  ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
  password_expires_at: u.password_expires_at, options: parseJson<Record<string, unknown>>(u.options, {}),
  links: selfLink(req, `/v3/users/${u.id}`),
});

export const groupView = (req: FastifyRequest, g: GroupRow) => ({
  ...extra(g.extra), id: g.id, name: g.name, domain_id: g.domain_id, description: g.description,
  links: selfLink(req, `/v3/groups/${g.id}`),
});

export const roleView = (req: FastifyRequest, r: RoleRow) => ({
  id: r.id, name: r.name, domain_id: r.domain_id === '' ? null : r.domain_id,
  description: r.description || null, options: parseJson<Record<string, unknown>>(r.options, {}),
  links: selfLink(req, `/v3/roles/${r.id}`),
});

export const regionView = (req: FastifyRequest, r: RegionRow) => ({
  ...extra(r.extra), id: r.id, description: r.description, parent_region_id: r.parent_region_id,
  links: selfLink(req, `/v3/regions/${r.id}`),
});

export const serviceView = (req: FastifyRequest, s: ServiceRow) => ({
  ...extra(s.extra), id: s.id, type: s.type, name: s.name, description: s.description, enabled: asBool(s.enabled),
  links: selfLink(req, `/v3/services/${s.id}`),
});

export const endpointView = (req: FastifyRequest, e: EndpointRow) => ({
  ...extra(e.extra), id: e.id, service_id: e.service_id, region_id: e.region_id, region: e.region_id,
  interface: e.interface, url: e.url, enabled: asBool(e.enabled), links: selfLink(req, `/v3/endpoints/${e.id}`),
});

export const appCredView = (req: FastifyRequest, a: AppCredRow, roles: RoleRow[]) => ({
  id: a.id, name: a.name, description: a.description || null, user_id: a.user_id, project_id: a.project_id,
  expires_at: a.expires_at, unrestricted: asBool(a.unrestricted), access_rules: [],
  roles: roles.map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id === '' ? null : r.domain_id })),
  links: selfLink(req, `/v3/users/${a.user_id}/application_credentials/${a.id}`),
});

/** A trust as Keystone's to_dict renders it; `roles` only where Keystone shows them (create and show, not list). */
export const trustView = (req: FastifyRequest, t: TrustRow, roles?: RoleRow[]) => ({
  ...extra(t.extra), id: t.id, trustor_user_id: t.trustor_user_id, trustee_user_id: t.trustee_user_id,
  project_id: t.project_id, impersonation: asBool(t.impersonation),
  expires_at: t.expires_at ? keystoneTime(Date.parse(t.expires_at)) : null,
  remaining_uses: t.remaining_uses === null ? null : Number(t.remaining_uses),
  redelegated_trust_id: null, redelegation_count: Number(t.redelegation_count), deleted_at: t.deleted_at,
  links: selfLink(req, `/v3/OS-TRUST/trusts/${t.id}`),
  ...(roles ? {
    roles: roles.map((r) => roleView(req, r)),
    roles_links: { ...selfLink(req, `/v3/OS-TRUST/trusts/${t.id}/roles`), previous: null, next: null },
  } : {}),
});

/** A credential with its blob already decrypted by the caller. */
export const credentialView = (req: FastifyRequest, c: CredentialRow, blob: string) => ({
  ...extra(c.extra), id: c.id, user_id: c.user_id, project_id: c.project_id, type: c.type, blob,
  links: selfLink(req, `/v3/credentials/${c.id}`),
});
