// /v3/domains: create, list, show, update, delete (a domain must be disabled before it is deleted).
import type { FastifyInstance } from 'fastify';
import { Forbidden } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks } from './deps.ts';
import { crud, newId, nowIso, parseJson } from '../db/crud.ts';
import { notFound } from '../domain/errors.ts';
import { domainView } from './views.ts';
import { domainCreate, domainUpdate, envelope } from './schemas/resources.ts';
import { boolFilter, nameFilters, splitExtra, storing } from './entity-input.ts';
import { deleteDomainCascade } from './cascade.ts';

const KNOWN = ['name', 'description', 'enabled', 'tags', 'options', 'explicit_domain_id'] as const;

export function registerDomains(app: FastifyInstance, deps: IdentityApiDeps): void {
  const domains = crud(deps.db, 'domains');
  const load = async (id: string) => (await domains.get(id)) ?? Promise.reject(notFound('domain', id));

  app.post('/v3/domains', { schema: { body: envelope('domain', domainCreate) } }, async (req, reply) => {
    authorize(deps, req, 'identity:create_domain');
    const { known, extra } = splitExtra((req.body as { domain: Record<string, unknown> }).domain, KNOWN);
    const row = {
      id: (known.explicit_domain_id as string | undefined) ?? newId(), name: known.name as string,
      description: (known.description as string | null) ?? '', enabled: known.enabled !== false,
      extra: JSON.stringify(extra), created_at: nowIso(),
    };
    await storing('domain', 'name', row.name, () => domains.insert(row));
    deps.state.changed();
    return reply.code(201).send({ domain: domainView(req, row) });
  });

  app.get('/v3/domains', async (req) => {
    authorize(deps, req, 'identity:list_domains');
    const q = req.query as Record<string, string | undefined>;
    const rows = nameFilters(await domains.list({ name: q.name, enabled: boolFilter(q.enabled) }), q);
    return { domains: rows.map((d) => domainView(req, d)), links: collectionLinks(req) };
  });

  app.get('/v3/domains/:domain_id', async (req) => {
    const { domain_id } = req.params as { domain_id: string };
    authorize(deps, req, 'identity:get_domain', { target: { domain: { id: domain_id } } });
    return { domain: domainView(req, await load(domain_id)) };
  });

  app.patch('/v3/domains/:domain_id', { schema: { body: envelope('domain', domainUpdate) } }, async (req) => {
    const { domain_id } = req.params as { domain_id: string };
    authorize(deps, req, 'identity:update_domain', { target: { domain: { id: domain_id } } });
    const current = await load(domain_id);
    const { known, extra } = splitExtra((req.body as { domain: Record<string, unknown> }).domain, KNOWN);
    const patch = {
      ...(known.name !== undefined ? { name: known.name as string } : {}),
      ...(known.description !== undefined ? { description: (known.description as string | null) ?? '' } : {}),
      ...(known.enabled !== undefined ? { enabled: known.enabled as boolean } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(current.extra, {}), ...extra }) } : {}),
    };
    await storing('domain', 'name', String(known.name), () => domains.update(domain_id, patch));
    if (patch.enabled === false) await deps.revocations.revoke({ domainId: domain_id });
    deps.state.changed();
    return { domain: domainView(req, (await domains.get(domain_id))!) };
  });

  app.delete('/v3/domains/:domain_id', async (req, reply) => {
    const { domain_id } = req.params as { domain_id: string };
    authorize(deps, req, 'identity:delete_domain', { target: { domain: { id: domain_id } } });
    const d = await load(domain_id);
    if (d.enabled === true || d.enabled === 1) throw new Forbidden('Cannot delete a domain that is enabled, please disable it first.');
    await deleteDomainCascade(deps.db, domain_id);
    await deps.revocations.revoke({ domainId: domain_id });
    deps.state.changed();
    return reply.code(204).send();
  });
}
