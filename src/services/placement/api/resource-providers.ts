// /resource_providers and /resource_providers/{uuid}: list with filters, create, show, update (rename, re-parent), delete.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, normalizeUuid, pathUuid } from './deps.ts';
import { atLeast, minorOf } from './microversion.ts';
import { validBody, validQuery, listOf } from './validate.ts';
import type { Schema } from './validate.ts';
import * as schemas from './schemas/providers.ts';
import { lastModified, providerView } from './views.ts';
import { parseInTree, parseMemberOf, parseRequired, parseResources } from './query-params.ts';
import { createProvider, deleteProvider, listProviders, requireProvider, updateProvider } from '../db/providers-repo.ts';
import type { ProviderFilters } from '../db/providers-repo.ts';
import { unknownResourceClasses } from '../db/resource-classes-repo.ts';
import { unknownTraits } from '../db/traits-repo.ts';

function listSchema(minor: number): Schema {
  if (minor >= 18) return schemas.providerList118;
  if (minor >= 14) return schemas.providerList114;
  if (minor >= 4) return schemas.providerList14;
  if (minor >= 3) return schemas.providerList13;
  return schemas.providerList;
}

export function registerResourceProviders(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;

  app.get('/resource_providers', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:list');
    const filters = await providerFilters(deps, req);
    const rows = await listProviders(db, filters);
    reply.lastModified = lastModified(rows);
    return { resource_providers: rows.map((rp) => providerView(req, rp)) };
  });

  app.post('/resource_providers', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:create');
    const body = validBody<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(
      atLeast(req, 14) ? schemas.providerCreate114 : schemas.providerCreate, req.body);
    const uuid = body.uuid ? normalizeUuid(body.uuid)! : randomUUID();
    const parentUuid = body.parent_provider_uuid ? normalizeUuid(body.parent_provider_uuid)! : null;
    const rp = await createProvider(deps.store, { uuid, name: body.name, parentUuid });
    reply.header('location', `${req.protocol}://${req.headers.host ?? req.host}/resource_providers/${uuid}`);
    if (!atLeast(req, 20)) return reply.code(201).send();
    reply.lastModified = rp.updated_at;
    return providerView(req, rp);
  });

  app.get('/resource_providers/:uuid', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:show');
    const rp = await requireProvider(db, pathUuid((req.params as { uuid: string }).uuid));
    reply.lastModified = rp.updated_at;
    return providerView(req, rp);
  });

  app.put('/resource_providers/:uuid', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:update');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    await requireProvider(db, uuid);
    const body = validBody<{ name: string; parent_provider_uuid?: string | null }>(
      atLeast(req, 14) ? schemas.providerUpdate114 : schemas.providerUpdate, req.body);
    const parentUuid = body.parent_provider_uuid === undefined ? undefined
      : body.parent_provider_uuid === null ? null : normalizeUuid(body.parent_provider_uuid)!;
    const rp = await updateProvider(deps.store, uuid, { name: body.name, parentUuid }, atLeast(req, 37));
    reply.lastModified = rp.updated_at;
    return providerView(req, rp);
  });

  app.delete('/resource_providers/:uuid', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:delete');
    await deleteProvider(deps.store, pathUuid((req.params as { uuid: string }).uuid));
    return reply.code(204).send();
  });
}

/** The query of GET /resource_providers as filters, with unknown classes and traits refused (400). */
async function providerFilters(deps: PlacementApiDeps, req: FastifyRequest): Promise<ProviderFilters> {
  const minor = minorOf(req);
  const q = validQuery(listSchema(minor), req.query, (k) => k === 'member_of' || k === 'required');
  const f: ProviderFilters = {};
  if (q.name !== undefined) f.name = q.name as string;
  if (q.uuid !== undefined) {
    const uuid = normalizeUuid(q.uuid as string);
    if (!uuid) throw new BadRequest(`Invalid query string parameters: '${String(q.uuid)}' is not a 'uuid'`);
    f.uuid = uuid;
  }
  if (q.in_tree !== undefined) f.inTree = parseInTree(q.in_tree as string);
  if (q.member_of !== undefined) {
    const m = parseMemberOf(listOf(q.member_of), minor);
    f.memberOf = m.memberOf;
    f.forbiddenAggregates = m.forbidden;
  }
  if (q.resources !== undefined) {
    f.resources = parseResources(q.resources as string);
    const unknown = await unknownResourceClasses(deps.store.db, f.resources.keys());
    if (unknown.length > 0) throw new BadRequest(`Invalid resource class in resources parameter: No such resource class ${unknown.join(', ')}.`);
  }
  if (q.required !== undefined) {
    const t = parseRequired(listOf(q.required), minor);
    const unknown = await unknownTraits(deps.store.db, [...t.required.flat(), ...t.forbidden]);
    if (unknown.length > 0) throw new BadRequest(`Invalid trait(s) in "required" parameter: No such trait(s): ${unknown.join(', ')}.`);
    f.requiredTraits = t.required;
    f.forbiddenTraits = t.forbidden;
  }
  return f;
}
