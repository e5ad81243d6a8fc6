// The service catalog: /v3/regions, /v3/services, /v3/endpoints.
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks } from './deps.ts';
import { crud, newId, parseJson } from '../db/crud.ts';
import { notFound } from '../domain/errors.ts';
import { endpointView, regionView, serviceView } from './views.ts';
import { endpointCreate, endpointUpdate, envelope, regionCreate, regionUpdate, serviceCreate, serviceUpdate } from './schemas/resources.ts';
import { boolFilter, splitExtra, storing } from './entity-input.ts';

type Body<K extends string> = Record<K, Record<string, unknown>>;

export function registerCatalog(app: FastifyInstance, deps: IdentityApiDeps): void {
  const regions = crud(deps.db, 'regions');
  const services = crud(deps.db, 'services');
  const endpoints = crud(deps.db, 'endpoints');
  const region = async (id: string) => (await regions.get(id)) ?? Promise.reject(notFound('region', id));
  const service = async (id: string) => (await services.get(id)) ?? Promise.reject(notFound('service', id));
  const endpoint = async (id: string) => (await endpoints.get(id)) ?? Promise.reject(notFound('endpoint', id));
  const regionExists = async (id: unknown) => {
    if (typeof id === 'string' && !(await regions.get(id))) throw new BadRequest(`Could not find region: ${id}.`);
  };

  // Regions
  app.post('/v3/regions', { schema: { body: envelope('region', regionCreate) } }, async (req, reply) => {
    authorize(deps, req, 'identity:create_region');
    const { known, extra } = splitExtra((req.body as Body<'region'>).region, ['description', 'parent_region_id']);
    const id = ((req.body as Body<'region'>).region.id as string | undefined) ?? newId();
    await regionExists(known.parent_region_id);
    const row = { id, description: (known.description as string | null) ?? '', parent_region_id: (known.parent_region_id as string | null) ?? null, extra: JSON.stringify(extra) };
    await storing('region', 'id', id, () => regions.insert(row));
    return reply.code(201).send({ region: regionView(req, row) });
  });
  app.get('/v3/regions', async (req) => {
    authorize(deps, req, 'identity:list_regions');
    const q = req.query as Record<string, string | undefined>;
    return { regions: (await regions.list({ parent_region_id: q.parent_region_id })).map((r) => regionView(req, r)), links: collectionLinks(req) };
  });
  app.get('/v3/regions/:id', async (req) => {
    authorize(deps, req, 'identity:get_region');
    return { region: regionView(req, await region((req.params as { id: string }).id)) };
  });
  app.patch('/v3/regions/:id', { schema: { body: envelope('region', regionUpdate) } }, async (req) => {
    authorize(deps, req, 'identity:update_region');
    const r = await region((req.params as { id: string }).id);
    const { known, extra } = splitExtra((req.body as Body<'region'>).region, ['description', 'parent_region_id']);
    if (known.parent_region_id === r.id) throw new BadRequest('A region cannot be its own parent.');
    await regionExists(known.parent_region_id);
    // Keystone refuses a parent below the region itself: the region tree must stay a tree.
    const seen = new Set<string>();
    for (let up = known.parent_region_id as string | null | undefined; up && !seen.has(up); up = (await regions.get(up))?.parent_region_id) {
      if (up === r.id) throw new BadRequest(`Circular reference or a repeated entry found in region tree - ${r.id}.`);
      seen.add(up);
    }
    await regions.update(r.id, {
      ...(known.description !== undefined ? { description: (known.description as string | null) ?? '' } : {}),
      ...(known.parent_region_id !== undefined ? { parent_region_id: known.parent_region_id as string | null } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(r.extra, {}), ...extra }) } : {}),
    });
    return { region: regionView(req, (await regions.get(r.id))!) };
  });
  app.delete('/v3/regions/:id', async (req, reply) => {
    authorize(deps, req, 'identity:delete_region');
    const r = await region((req.params as { id: string }).id);
    if ((await regions.list({ parent_region_id: r.id })).length) throw new BadRequest(`Region ${r.id} has child regions: delete them first.`);
    if ((await endpoints.list({ region_id: r.id })).length) throw new BadRequest(`Region ${r.id} still has endpoints: delete them first.`);
    await regions.delete(r.id);
    deps.state.changed();
    return reply.code(204).send();
  });

  // Services
  app.post('/v3/services', { schema: { body: envelope('service', serviceCreate) } }, async (req, reply) => {
    authorize(deps, req, 'identity:create_service');
    const { known, extra } = splitExtra((req.body as Body<'service'>).service, ['type', 'name', 'description', 'enabled']);
    const row = { id: newId(), type: known.type as string, name: (known.name as string | undefined) ?? '', description: (known.description as string | null) ?? '', enabled: known.enabled !== false, extra: JSON.stringify(extra) };
    await services.insert(row);
    deps.state.changed();
    return reply.code(201).send({ service: serviceView(req, row) });
  });
  app.get('/v3/services', async (req) => {
    authorize(deps, req, 'identity:list_services');
    const q = req.query as Record<string, string | undefined>;
    return { services: (await services.list({ type: q.type, name: q.name })).map((s) => serviceView(req, s)), links: collectionLinks(req) };
  });
  app.get('/v3/services/:id', async (req) => {
    authorize(deps, req, 'identity:get_service');
    return { service: serviceView(req, await service((req.params as { id: string }).id)) };
  });
  app.patch('/v3/services/:id', { schema: { body: envelope('service', serviceUpdate) } }, async (req) => {
    authorize(deps, req, 'identity:update_service');
    const s = await service((req.params as { id: string }).id);
    const { known, extra } = splitExtra((req.body as Body<'service'>).service, ['type', 'name', 'description', 'enabled']);
    await services.update(s.id, {
      ...(known.type !== undefined ? { type: known.type as string } : {}),
      ...(known.name !== undefined ? { name: known.name as string } : {}),
      ...(known.description !== undefined ? { description: (known.description as string | null) ?? '' } : {}),
      ...(known.enabled !== undefined ? { enabled: known.enabled as boolean } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(s.extra, {}), ...extra }) } : {}),
    });
    deps.state.changed();
    return { service: serviceView(req, (await services.get(s.id))!) };
  });
  app.delete('/v3/services/:id', async (req, reply) => {
    authorize(deps, req, 'identity:delete_service');
    const s = await service((req.params as { id: string }).id);
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('endpoints').where('service_id', '=', s.id).execute();
      await trx.deleteFrom('services').where('id', '=', s.id).execute();
    });
    deps.state.changed();
    return reply.code(204).send();
  });

  // Endpoints
  const KNOWN = ['service_id', 'interface', 'url', 'region_id', 'region', 'enabled'] as const;
  app.post('/v3/endpoints', { schema: { body: envelope('endpoint', endpointCreate) } }, async (req, reply) => {
    authorize(deps, req, 'identity:create_endpoint');
    const { known, extra } = splitExtra((req.body as Body<'endpoint'>).endpoint, KNOWN);
    await service(known.service_id as string).catch(() => { throw new BadRequest(`Could not find service: ${String(known.service_id)}.`); });
    const regionId = (known.region_id ?? known.region ?? null) as string | null;
    await regionExists(regionId);
    const row = { id: newId(), service_id: known.service_id as string, region_id: regionId, interface: known.interface as string, url: known.url as string, enabled: known.enabled !== false, extra: JSON.stringify(extra) };
    await endpoints.insert(row);
    deps.state.changed();
    return reply.code(201).send({ endpoint: endpointView(req, row) });
  });
  app.get('/v3/endpoints', async (req) => {
    authorize(deps, req, 'identity:list_endpoints');
    const q = req.query as Record<string, string | undefined>;
    const rows = await endpoints.list({ service_id: q.service_id, interface: q.interface, region_id: q.region_id ?? q.region, enabled: boolFilter(q.enabled) });
    return { endpoints: rows.map((e) => endpointView(req, e)), links: collectionLinks(req) };
  });
  app.get('/v3/endpoints/:id', async (req) => {
    authorize(deps, req, 'identity:get_endpoint');
    return { endpoint: endpointView(req, await endpoint((req.params as { id: string }).id)) };
  });
  app.patch('/v3/endpoints/:id', { schema: { body: envelope('endpoint', endpointUpdate) } }, async (req) => {
    authorize(deps, req, 'identity:update_endpoint');
    const e = await endpoint((req.params as { id: string }).id);
    const { known, extra } = splitExtra((req.body as Body<'endpoint'>).endpoint, KNOWN);
    if (known.service_id !== undefined) await service(known.service_id as string).catch(() => { throw new BadRequest(`Could not find service: ${String(known.service_id)}.`); });
    const regionId = known.region_id !== undefined ? known.region_id : known.region;
    if (regionId !== undefined) await regionExists(regionId);
    await storing('endpoint', 'id', e.id, () => endpoints.update(e.id, {
      ...(known.service_id !== undefined ? { service_id: known.service_id as string } : {}),
      ...(known.interface !== undefined ? { interface: known.interface as string } : {}),
      ...(known.url !== undefined ? { url: known.url as string } : {}),
      ...(regionId !== undefined ? { region_id: regionId as string | null } : {}),
      ...(known.enabled !== undefined ? { enabled: known.enabled as boolean } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(e.extra, {}), ...extra }) } : {}),
    }));
    deps.state.changed();
    return { endpoint: endpointView(req, (await endpoints.get(e.id))!) };
  });
  app.delete('/v3/endpoints/:id', async (req, reply) => {
    authorize(deps, req, 'identity:delete_endpoint');
    const e = await endpoint((req.params as { id: string }).id);
    await endpoints.delete(e.id);
    deps.state.changed();
    return reply.code(204).send();
  });
}
