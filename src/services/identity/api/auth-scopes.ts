// /v3/auth/{projects,domains,system,catalog}: what the caller's token may be rescoped to, and its catalog.
import type { FastifyInstance } from 'fastify';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks, selfLink } from './deps.ts';
import { asBool } from '../db/crud.ts';
import { assignedRoleIds } from '../provider/effective-roles.ts';
import { domainView, projectView } from './views.ts';
import { Forbidden } from '#lib/errors.ts';

export function registerAuthScopes(app: FastifyInstance, deps: IdentityApiDeps): void {
  const db = deps.db;

  app.get('/v3/auth/projects', async (req) => {
    const userId = req.ctx.credentials!.userId;
    const rows = (await db.selectFrom('projects').selectAll().execute()).filter((p) => asBool(p.enabled));
    const mine = [];
    for (const p of rows) if ((await assignedRoleIds(db, userId, { kind: 'project', id: p.id })).length) mine.push(projectView(req, p));
    return { projects: mine, links: collectionLinks(req) };
  });

  app.get('/v3/auth/domains', async (req) => {
    const userId = req.ctx.credentials!.userId;
    const rows = (await db.selectFrom('domains').selectAll().execute()).filter((d) => asBool(d.enabled));
    const mine = [];
    for (const d of rows) if ((await assignedRoleIds(db, userId, { kind: 'domain', id: d.id })).length) mine.push(domainView(req, d));
    return { domains: mine, links: collectionLinks(req) };
  });

  app.get('/v3/auth/system', async (req) => {
    const has = (await assignedRoleIds(db, req.ctx.credentials!.userId, { kind: 'system' })).length > 0;
    return { system: has ? [{ all: true }] : [], links: selfLink(req, '/v3/auth/system') };
  });

  app.get('/v3/auth/catalog', async (req) => {
    if (req.ctx.credentials!.scope.kind === 'unscoped') throw new Forbidden('The catalog requires a scoped token.');
    return { catalog: await deps.state.catalog(), links: selfLink(req, '/v3/auth/catalog') };
  });

  // Keystone's OS-REVOKE extension: services poll it to drop cached validations of revoked tokens.
  app.get('/v3/OS-REVOKE/events', async (req) => {
    authorize(deps, req, 'identity:list_revoke_events');
    const since = (req.query as { since?: string }).since;
    const sinceMs = since ? Date.parse(since) : 0;
    const events = await deps.revocations.since(Number.isNaN(sinceMs) ? 0 : sinceMs);
    const t = (ms: number) => new Date(ms).toISOString();
    return {
      events: events.map((e) => ({
        ...(e.user_id ? { user_id: e.user_id } : {}), ...(e.project_id ? { project_id: e.project_id } : {}),
        ...(e.domain_id ? { domain_id: e.domain_id } : {}), ...(e.role_id ? { role_id: e.role_id } : {}),
        ...(e.trust_id ? { OS_TRUST_trust_id: e.trust_id } : {}), ...(e.audit_id ? { audit_id: e.audit_id } : {}),
        ...(e.audit_chain_id ? { audit_chain_id: e.audit_chain_id } : {}), ...(e.app_cred_id ? { app_cred_id: e.app_cred_id } : {}),
        issued_before: t(e.issued_before), revoked_at: t(e.revoked_at),
      })),
      links: collectionLinks(req),
    };
  });
}
